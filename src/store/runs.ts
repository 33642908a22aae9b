// Runs and their progress. Many upload workers finish files of one run at the same time, so no
// single row counts them (it would be a hot row, lost to ETag races):
//   - `runs`          partition = job id, row = run id (newest first): status, times, final totals;
//   - `runprogress`   partition = run id: one row per planner page (`page-N`: files and bytes to
//                     upload or skipped, and the hash of the continuation token it was listed
//                     with; a backup page is created once, so a second delivery can neither double
//                     count nor overwrite it) and heartbeat rows that show a long upload is alive;
//   - `runfiles`      partition = run id: the per-file result (row = escaped blob name: uploaded,
//                     skipped or failed with reason) and 16 counter shards (`~count-K`). A file's
//                     final row and its shard increment are written in ONE Table transaction (same
//                     table, same partition), so a crash can neither lose a count nor count twice,
//                     and a redelivered task finds the file final and counted. An events run
//                     also holds plan rows (`~plan-N`, planEventFile): the outcome of an earlier
//                     version of a blob it planned again. The small files of one batch task are
//                     planned in ONE plan set row (`~set-<id>`, planSets; the task names the id)
//                     and get rows of their own only when their outcome is written.
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { odata, type TableClient, type TableEntity, type TransactionAction } from '@azure/data-tables';
import { AppError, isAppError } from '../errors';
import { encodeRowKey, query } from './manifest';
import type { RunStatus } from './runStatus';
import { readFacts, type BlobFacts } from '../sources/blobFacts';
import { joinColumns, splitColumns } from './longText';
import {
  definedFields,
  deletePartition,
  field,
  rowsByKey,
  TABLE_BATCH_LIMIT,
  TableRepository,
  tableBatches,
  type Stored,
} from './table';

export const RUNS_TABLE = 'runs';
export const RUN_PROGRESS_TABLE = 'runprogress';
export const RUN_FILES_TABLE = 'runfiles';
const SHARDS = 16;
/**
 * Counter shard row keys. encodeRowKey escapes '~' in names and its digest keys are '~' + hex, so
 * no file row can start with '~count-' and the range ['~count-', '~count.') holds exactly the shards.
 */
const COUNTER_PREFIX = '~count-';
const COUNTER_END = '~count.';
/**
 * Plan rows of an events run (planEventFile): `~plan-N` for the run's plan row N. Like the shards,
 * no file row can start with it ('p' is no hex digit of a digest key).
 */
const PLAN_PREFIX = '~plan-';
const planKey = (planRow: number): string => `${PLAN_PREFIX}${String(planRow).padStart(8, '0')}`;
/**
 * Plan set rows (planSets): `~set-` and the set's id (planSetId). Like the shards, no file row can
 * start with it ('s' is no hex digit of a digest key).
 */
const SET_PREFIX = '~set-';
const setKey = (id: string): string => `${SET_PREFIX}${id}`;
/**
 * Characters of one plan set's JSON at most (the planner closes a batch before it would pass this):
 * inside what splitColumns stores in one row, with room for the row's other columns.
 */
export const PLAN_SET_CHARS = 200_000;
/** Plan set rows per transaction are bounded by characters too: 4 MiB of UTF-8 is at least this many. */
const SET_TRANSACTION_CHARS = 1_000_000;
/** Row keys that are not a file's current row: counter shards, plan sets, events runs' plan rows. */
const isBookkeeping = (rowKey: unknown): boolean =>
  String(rowKey).startsWith(COUNTER_PREFIX) ||
  String(rowKey).startsWith(PLAN_PREFIX) ||
  String(rowKey).startsWith(SET_PREFIX);

// Kept importable from here, where runs are, for the modules that already read them from the run store.
export { FINAL_RUN_STATUSES, type RunStatus } from './runStatus';

export interface RunTotals {
  plannedFiles: number;
  plannedBytes: number;
  skippedFiles: number;
  skippedBytes: number;
  uploadedFiles: number;
  uploadedBytes: number;
  failedFiles: number;
  failedBytes: number;
  /** Time the run's uploads spent waiting because Graph throttled the connection (429/503). */
  throttledMs?: number;
  /** How many throttling answers the run's uploads received. */
  throttles?: number;
  /** Files a scheduled run of an event-driven job found changed long ago yet not copied (should be 0). */
  missedByEvents?: number;
}

/** The drive's quota as the run last saw it (GET /drives/{id}, or a 507 during the run). */
export interface RunQuota {
  /** Graph's quota.state: normal, nearing, critical or exceeded. */
  state: string;
  total?: number;
  used?: number;
  remaining?: number;
  /** Bytes the run still meant to upload when the quota was read. */
  neededBytes?: number;
  checkedAt: string;
}

export interface Run {
  id: string;
  jobId: string;
  kind: 'backup' | 'restore';
  /** `events`: the job's open run for uploads started by blob events (src/events/eventRun.ts). */
  trigger: 'schedule' | 'manual' | 'events';
  status: RunStatus;
  /** Snapshot mode: the dated folder this run writes into (relative to the job's destination). */
  snapshotFolder?: string;
  scheduledFor?: string;
  createdAt: string;
  startedAt?: string;
  endedAt?: string;
  planningComplete: boolean;
  pagesPlanned: number;
  /**
   * The planner page a backup run expects next and the SHA-256 of the continuation token it must
   * carry ('' for none). A plan message is trusted only when it names this page (or redelivers one
   * already recorded with the same token), so a forged page cannot end the plan early. Unset on
   * restore runs and on runs started by a version without the binding.
   */
  nextPage?: number;
  nextPageTokenHash?: string;
  /** Totals as of the end of the run (live totals come from `totals()`). */
  totals?: RunTotals;
  throughputBytesPerSecond?: number;
  error?: string;
  /** The typed error code that ended the run early, and what a person should do about it. */
  errorCode?: string;
  advice?: string;
  quota?: RunQuota;
  cleanup?: string;
  /** Backups: where the run index was written (or why not). */
  index?: string;
  /** Backups: the drive path of the index that describes the folder after this run. */
  indexPath?: string;
  /** Restores: what the run index said against what the drive held (JSON, see src/restore/index/). */
  restoreReport?: string;
  /**
   * A restore's spec (JSON: connection, folder, target endpoint and container, …), written once
   * when the restore is started through the API. The restore workers take it from here, never from
   * their queue messages, so a tampered message cannot redirect the restore (docs/security.md).
   */
  restoreSpec?: string;
}

/**
 * 'planned' is written by a backup's planner before it queues the file's task: the uploader works
 * only on files its run planned, so a forged task can neither add a file nor skew the totals.
 * 'skipped' is a final state a worker decided without copying (a restore finding the blob already
 * there); backups never write it, since their planner counts unchanged files per page instead.
 */
export type FileStatus = 'planned' | 'uploading' | 'uploaded' | 'skipped' | 'failed';

export interface FileResult {
  blobName: string;
  status: FileStatus;
  size: number;
  /** Bytes the server has acknowledged so far (progress of a large file). */
  bytesDone: number;
  code?: string;
  reason?: string;
  attempts: number;
  driveItemId?: string;
  /**
   * SHA-256 of the upload session URL the worker created for this file (../backup/upload/uploadUrl.ts
   * sessionUrlHash); a continuation whose URL does not hash to it is refused. Never the URL itself.
   */
  sessionUrlHash?: string;
  /** Time this file's upload waited for throttling, and how many 429/503 answers it got. */
  throttledMs?: number;
  throttles?: number;
  /**
   * Set when SharePoint rewrote the file after upload (Office property promotion) and the job keeps
   * such files under their own name: the drive holds different bytes, recorded as such.
   */
  rewritten?: boolean;
  /** Set once the file's outcome has been added to a counter shard. */
  counted: boolean;
  updatedAt: string;
}

/** What the planner recorded of a file's blob when it planned it (absent on rows written before). */
export interface PlannedBlob {
  etag?: string;
  /**
   * The blob's size as listed. The row's own `size` is what is sent once the file is in flight
   * (ciphertext for an encrypted job), so it cannot stand for the blob's.
   */
  size?: number;
  lastModified?: string;
  contentMd5?: string;
  facts?: BlobFacts;
}

export interface PlannedFile extends PlannedBlob {
  blobName: string;
  size: number;
}

/** A file row as read for a conditional write. */
export interface StoredFile {
  file: FileResult;
  /** The row's ETag; none for a file planned in a plan set that has no row of its own yet. */
  etag?: string;
  planned: PlannedBlob;
}

/**
 * A plan set's id: the SHA-256 (hex) of its files' names and versions, in order. A page planned
 * again from the same listing writes the same sets (and finds them there); one listed differently
 * writes sets of its own, so no set ever holds other files than the tasks that name it.
 */
export function planSetId(files: ReadonlyArray<{ blobName: string; etag?: string; size: number }>): string {
  const canonical = JSON.stringify(files.map((f) => [f.blobName, f.etag ?? null, f.size]));
  return createHash('sha256').update(canonical).digest('hex');
}

/** One file as a plan set row stores it (JSON): what planFiles keeps in a planned row's columns. */
export function planSetEntry(file: PlannedFile): string {
  return JSON.stringify(
    definedFields({
      blobName: file.blobName,
      size: file.size,
      etag: file.etag,
      lastModified: file.lastModified,
      contentMd5: file.contentMd5,
      facts: file.facts,
    }),
  );
}

/**
 * A plan set's JSON from its entries (planSetEntry): the planner serialises each entry once, to
 * size its batch, and the row is joined from those same strings.
 */
export const planSetJson = (entries: readonly string[]): string => `[${entries.join(',')}]`;

/** Columns of a planned row (a blob's `etag` would clash with the row's own). */
const PLANNED_ETAG = 'plannedEtag';
const PLANNED_SIZE = 'plannedSize';
const PLANNED_FACTS = 'plannedFacts';

function plannedOf(r: Record<string, unknown>): PlannedBlob {
  const facts = joinColumns(r, PLANNED_FACTS);
  let parsed: BlobFacts | undefined;
  try {
    parsed = facts === undefined ? undefined : readFacts(JSON.parse(facts));
  } catch {
    parsed = undefined;
  }
  return {
    etag: field.string(r, PLANNED_ETAG),
    size: field.number(r, PLANNED_SIZE),
    lastModified: field.string(r, 'plannedLastModified'),
    contentMd5: field.string(r, 'plannedMd5'),
    facts: parsed,
  };
}

export interface PagePlan {
  files: number;
  bytes: number;
  skippedFiles: number;
  skippedBytes: number;
  last: boolean;
  /** Unchanged files of the page whose properties, metadata or tags the manifest had to learn. */
  refreshedFiles?: number;
  /** SHA-256 of the continuation token this page was listed with ('' for the first page). */
  tokenHash?: string;
  /** Of `files`, those blob events should have copied already (src/events/missed.ts). */
  missedByEvents?: number;
  /**
   * The page's listing digest (src/backup/pageDigest.ts), kept for the end of the run: recorded
   * as the job's page digest only if the run succeeds, when the manifest holds every file as listed.
   */
  pendingDigest?: string;
}

/** Run ids sort newest first inside a job's partition. */
export function newRunId(now: Date): string {
  return `${String(9_999_999_999_999 - now.getTime()).padStart(13, '0')}-${randomBytes(4).toString('hex')}`;
}

export const EMPTY_TOTALS: RunTotals = {
  plannedFiles: 0,
  plannedBytes: 0,
  skippedFiles: 0,
  skippedBytes: 0,
  uploadedFiles: 0,
  uploadedBytes: 0,
  failedFiles: 0,
  failedBytes: 0,
};

type Row = Record<string, string | number | boolean | undefined>;
const raw = (r: Record<string, unknown>): Row => r as Row;
const num = (r: Record<string, unknown>, k: string): number => field.number(r, k) ?? 0;

function runToRow(run: Run): Row {
  const { totals, quota, ...rest } = run;
  return {
    ...rest,
    totals: totals ? JSON.stringify(totals) : undefined,
    quota: quota ? JSON.stringify(quota) : undefined,
  };
}

function rowToRun(r: Record<string, unknown>): Run {
  const totals = field.string(r, 'totals');
  const quota = field.string(r, 'quota');
  return {
    id: field.requiredString(r, 'id'),
    jobId: field.requiredString(r, 'jobId'),
    kind: field.requiredString(r, 'kind', 'backup') as Run['kind'],
    trigger: field.requiredString(r, 'trigger', 'manual') as Run['trigger'],
    status: field.requiredString(r, 'status', 'queued') as RunStatus,
    snapshotFolder: field.string(r, 'snapshotFolder'),
    scheduledFor: field.string(r, 'scheduledFor'),
    createdAt: field.requiredString(r, 'createdAt'),
    startedAt: field.string(r, 'startedAt'),
    endedAt: field.string(r, 'endedAt'),
    planningComplete: field.boolean(r, 'planningComplete'),
    pagesPlanned: num(r, 'pagesPlanned'),
    nextPage: field.number(r, 'nextPage'),
    nextPageTokenHash: field.string(r, 'nextPageTokenHash'),
    totals: totals ? (JSON.parse(totals) as RunTotals) : undefined,
    throughputBytesPerSecond: field.number(r, 'throughputBytesPerSecond'),
    error: field.string(r, 'error'),
    errorCode: field.string(r, 'errorCode'),
    advice: field.string(r, 'advice'),
    quota: quota ? (JSON.parse(quota) as RunQuota) : undefined,
    cleanup: field.string(r, 'cleanup'),
    index: field.string(r, 'index'),
    indexPath: field.string(r, 'indexPath'),
    restoreReport: field.string(r, 'restoreReport'),
    restoreSpec: field.string(r, 'restoreSpec'),
  };
}

function rowToFile(r: Record<string, unknown>): FileResult {
  return {
    blobName: field.requiredString(r, 'blobName'),
    status: field.requiredString(r, 'status', 'uploading') as FileStatus,
    size: num(r, 'size'),
    bytesDone: num(r, 'bytesDone'),
    code: field.string(r, 'code'),
    reason: field.string(r, 'reason'),
    attempts: num(r, 'attempts'),
    driveItemId: field.string(r, 'driveItemId'),
    sessionUrlHash: field.string(r, 'sessionUrlHash'),
    throttledMs: field.number(r, 'throttledMs'),
    throttles: field.number(r, 'throttles'),
    rewritten: field.boolean(r, 'rewritten') || undefined,
    counted: field.boolean(r, 'counted'),
    updatedAt: field.requiredString(r, 'updatedAt'),
  };
}

/** A run as history retention sees it (RunStore.summaries). */
export interface RunSummaryRow {
  partition: string;
  id: string;
  kind: 'backup' | 'restore';
  status: RunStatus;
  createdAt: string;
  endedAt?: string;
}

const isFinal = (status: FileStatus): boolean =>
  status === 'uploaded' || status === 'skipped' || status === 'failed';

export class RunStore {
  private readonly runs: TableRepository<Row>;
  private readonly progress: TableRepository<Row>;
  private readonly files: TableRepository<Row>;

  constructor(
    private readonly clients: { runs: TableClient; progress: TableClient; files: TableClient },
    private readonly now: () => Date = () => new Date(),
  ) {
    this.runs = new TableRepository<Row>(clients.runs, raw);
    this.progress = new TableRepository<Row>(clients.progress, raw);
    this.files = new TableRepository<Row>(clients.files, raw);
  }

  // ---- runs ----

  async create(run: Run): Promise<void> {
    await this.runs.insert(run.jobId, run.id, runToRow(run));
  }

  async get(jobId: string, runId: string): Promise<Stored<Run> | undefined> {
    const stored = await this.runs.get(jobId, runId);
    return stored && { ...stored, value: rowToRun(stored.value) };
  }

  async require(jobId: string, runId: string): Promise<Stored<Run>> {
    const run = await this.get(jobId, runId);
    if (!run) throw new AppError('NotFound', `No run ${runId} for job ${jobId}.`);
    return run;
  }

  /** A run by id alone (the admin API's GET runs/{id}); a cross-partition query on the row key. */
  async find(runId: string): Promise<Run | undefined> {
    const entities = query(this.clients.runs, odata`RowKey eq ${runId}`);
    for await (const entity of entities) return rowToRun(entity);
    return undefined;
  }

  async listForJob(jobId: string, limit = 50): Promise<Run[]> {
    const out: Run[] = [];
    const entities = query(this.clients.runs, odata`PartitionKey eq ${jobId}`);
    for await (const entity of entities) {
      out.push(rowToRun(entity));
      if (out.length >= limit) break;
    }
    return out;
  }

  /**
   * Every run of every partition (job id, or a restore's connection partition), in key order: by
   * partition, newest first within it. Only what deciding a run's age needs is read.
   */
  async *summaries(): AsyncIterable<RunSummaryRow> {
    try {
      const entities = this.clients.runs.listEntities<Record<string, unknown>>({
        queryOptions: { select: ['PartitionKey', 'RowKey', 'kind', 'status', 'createdAt', 'endedAt'] },
      });
      for await (const entity of entities)
        yield {
          partition: entity.partitionKey!,
          id: entity.rowKey!,
          kind: entity.kind === 'restore' ? 'restore' : 'backup',
          status: field.requiredString(entity, 'status') as RunStatus,
          createdAt: field.requiredString(entity, 'createdAt'),
          endedAt: field.string(entity, 'endedAt'),
        };
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return;
      throw error;
    }
  }

  /**
   * Deletes a run's page and per-file rows, then (when all are gone before `deadline`) the run row
   * itself. The run row goes last so a clean-up cut short finds the run again next time.
   */
  async deleteRun(
    partition: string,
    runId: string,
    options: { deadline?: number; now?: () => number; alsoIn?: readonly TableClient[] } = {},
  ): Promise<{ deletedRows: number; complete: boolean }> {
    let deletedRows = 0;
    for (const client of [this.clients.files, this.clients.progress, ...(options.alsoIn ?? [])]) {
      const result = await deletePartition(client, runId, options);
      deletedRows += result.deleted;
      if (!result.complete) return { deletedRows, complete: false };
    }
    if (await this.runs.delete(partition, runId)) deletedRows += 1;
    return { deletedRows, complete: true };
  }

  /** Merges fields into a run; with `etag`, only if unchanged since read (Conflict otherwise). */
  async update(jobId: string, runId: string, patch: Partial<Run>, etag?: string): Promise<string> {
    const row = runToRow({ ...(patch as Run) });
    for (const key of Object.keys(row)) if (row[key] === undefined) delete row[key];
    return this.runs.merge(jobId, runId, row, etag);
  }

  // ---- planning ----

  /** Records one restore listing page; idempotent (a redelivered page overwrites its own row). */
  async recordPage(runId: string, index: number, plan: PagePlan): Promise<void> {
    await this.progress.upsert(runId, pageKey(index), {
      ...plan,
      at: this.now().toISOString(),
    });
  }

  /**
   * Creates a backup planner page's row, never replacing one: returns the row already there when a
   * delivery got there first (the caller compares its token hash), undefined when this one wrote it.
   */
  async createPage(runId: string, index: number, plan: PagePlan): Promise<PagePlan | undefined> {
    try {
      await this.progress.insert(runId, pageKey(index), { ...plan, at: this.now().toISOString() });
      return undefined;
    } catch (error) {
      if (!isAppError(error, 'Conflict')) throw error;
      const existing = await this.getPage(runId, index);
      if (!existing) throw error;
      return existing;
    }
  }

  /** The page digests a backup's planner kept for the end of the run, with the page positions. */
  async pendingDigests(runId: string): Promise<Array<{ tokenHash: string; digest: string }>> {
    const rows = query(
      this.clients.progress,
      odata`PartitionKey eq ${runId} and RowKey ge ${PAGE_PREFIX} and RowKey lt ${PAGE_END}`,
    );
    const out: Array<{ tokenHash: string; digest: string }> = [];
    for await (const row of rows) {
      const digest = field.string(row, 'pendingDigest');
      if (digest) out.push({ tokenHash: field.string(row, 'tokenHash') ?? '', digest });
    }
    return out;
  }

  async getPage(runId: string, index: number): Promise<PagePlan | undefined> {
    const stored = await this.progress.get(runId, pageKey(index));
    if (!stored) return undefined;
    const v = stored.value as Record<string, unknown>;
    return {
      files: num(v, 'files'),
      bytes: num(v, 'bytes'),
      skippedFiles: num(v, 'skippedFiles'),
      skippedBytes: num(v, 'skippedBytes'),
      last: field.boolean(v, 'last'),
      tokenHash: field.string(v, 'tokenHash'),
    };
  }

  /**
   * Marks files as planned by a backup run (before their tasks are queued), with what the listing
   * said of each: the uploader takes a file's ETag, size and facts from this row (written by the
   * planner) rather than from its queue message, so it needs no read of the blob's properties. A row
   * already there (a redelivered page, a file in flight or final) is left as it is.
   */
  async planFiles(runId: string, files: ReadonlyArray<PlannedFile>): Promise<void> {
    if (!files.length) return;
    const at = this.now().toISOString();
    await this.createAll(files.map((f) => plannedRow(runId, f, at)));
  }

  /**
   * Creates rows of the files table, leaving any already there as they are: one transaction per
   * slice (tableBatches); a slice that meets an existing row fails whole, so its rows are then
   * created one by one.
   */
  private async createAll(
    rows: ReadonlyArray<TableEntity<Row>>,
    limit?: Parameters<typeof tableBatches<TableEntity<Row>>>[1],
  ): Promise<void> {
    await this.files.prepare();
    for (const batch of tableBatches(rows, limit)) {
      try {
        await this.clients.files.submitTransaction(batch.map((row) => ['create', row] as TransactionAction));
      } catch (error) {
        const status = (error as { statusCode?: number }).statusCode;
        if (status !== 409 && status !== 400) throw error;
        for (const { partitionKey, rowKey, ...row } of batch)
          await this.files.insert(partitionKey, rowKey, row as Row).catch((e: unknown) => {
            if (!isAppError(e, 'Conflict')) throw e;
          });
      }
    }
  }

  /**
   * Marks the files of batch tasks planned, one plan set row per batch (named by the id the batch
   * task carries) instead of one row per file: the Table service serves one partition at up to
   * 2,000 entities a second, and a run's planned files all go into its partition, so a row per file
   * would cap planning there (and Azurite's cost per insert grows with the partition). A file gets
   * its own row when its outcome (or progress) is written; until then getFiles answers from the set.
   * A set already there (a redelivered page listing the same batch) is left as it is.
   */
  async planSets(runId: string, sets: ReadonlyArray<{ id: string; json: string }>): Promise<void> {
    if (!sets.length) return;
    const at = this.now().toISOString();
    // Each set's JSON characters, kept as its row is built: the weight of the row in a transaction (an
    // upper bound of what the row stores when planSetColumns deflated it).
    const chars = new Map<TableEntity<Row>, number>();
    const rows = sets.map(({ id, json }) => {
      if (json.length > PLAN_SET_CHARS)
        throw new AppError(
          'ValidationFailed',
          `A plan set of ${json.length} characters is too large for one row.`,
        );
      const row = {
        partitionKey: runId,
        rowKey: setKey(id),
        at,
        ...planSetColumns(json),
      } as TableEntity<Row>;
      chars.set(row, json.length);
      return row;
    });
    await this.createAll(rows, { weight: (row) => chars.get(row)!, budget: SET_TRANSACTION_CHARS });
  }

  /**
   * Plans one version of a blob in an events run, as its plan row `planRow` (nextPlanRow). An events
   * run holds a blob's changes of a whole day, so its row may already be final for an earlier
   * version: that row is then replaced by the new planned row (ETag-conditional, so a writer that got
   * there first wins and this one reads again), and its outcome moves to the plan row `~plan-N`, in
   * ONE transaction. The outcome stays counted where it was counted (its shard increment is not
   * undone, and the moved row keeps `counted`), and the new version's outcome is counted once more
   * when it lands: the run's totals count copies, not distinct files. The exact count from the rows
   * (countFileOutcomes) reads the moved outcomes too, so it says the same.
   *
   * Why replace the row rather than key rows per version: the uploader, the poison handler and the
   * progress writes all find a file's row by its name, and the planned ETag on the row is what they
   * check a task against; one current row per name keeps every one of them unchanged.
   *
   * The plan row is written even for a blob's first version (then holding nothing but the name), so
   * a redelivered check knows its plan was written already and does not plan the version twice.
   * Returns 'planned' (this call wrote it), 'already' (a delivery of the same check did), or 'busy':
   * the row is in flight for another version, which must land before this one is planned.
   */
  async planEventFile(
    runId: string,
    planRow: number,
    file: PlannedFile,
  ): Promise<'planned' | 'already' | 'busy'> {
    const key = encodeRowKey(file.blobName);
    const planned = plannedRow(runId, file, this.now().toISOString());
    await this.files.prepare();
    for (let attempt = 0; attempt < 10; attempt += 1) {
      if (await this.files.get(runId, planKey(planRow))) return 'already';
      const stored = await this.files.get(runId, key);
      const current = stored && rowToFile(stored.value);
      if (current && !isFinal(current.status)) return 'busy';
      if (current && !current.counted) {
        // A final row from before counting was transactional: count it first, or moving it loses it.
        await this.finishFile(runId, current);
        continue;
      }
      const marker = {
        partitionKey: runId,
        rowKey: planKey(planRow),
        ...(stored ? outcomeColumns(stored.value) : { blobName: file.blobName }),
      };
      const actions: TransactionAction[] = stored
        ? [
            ['update', planned, 'Replace', { etag: stored.etag }],
            ['create', marker],
          ]
        : [
            ['create', planned],
            ['create', marker],
          ];
      try {
        await this.clients.files.submitTransaction(actions);
        return 'planned';
      } catch (error) {
        const status = (error as { statusCode?: number }).statusCode;
        if (status !== 409 && status !== 412) throw error;
      }
    }
    throw new AppError(
      'Transient',
      `Could not plan ${file.blobName} in run ${runId}: the row kept changing.`,
    );
  }

  // ---- files ----

  async getFile(runId: string, blobName: string): Promise<FileResult | undefined> {
    return (await this.getStoredFile(runId, blobName))?.file;
  }

  /** One file's row with its ETag and what the planner recorded of the blob (a continuation's). */
  async getStoredFile(runId: string, blobName: string): Promise<StoredFile | undefined> {
    const stored = await this.files.get(runId, encodeRowKey(blobName));
    return stored && { file: rowToFile(stored.value), etag: stored.etag, planned: plannedOf(stored.value) };
  }

  /**
   * The rows of a task's files with one range query, each with its ETag for a conditional write and
   * what the planner recorded of the blob. With the plan set a batch task names, that is read at the
   * same time: a file planned there with no row of its own yet is answered from the set (no ETag:
   * its outcome creates its row). A file in neither was not planned by the run.
   */
  async getFiles(
    runId: string,
    blobNames: readonly string[],
    set?: string,
  ): Promise<Map<string, StoredFile>> {
    const byKey = new Map(blobNames.map((name) => [encodeRowKey(name), name]));
    const [rows, planned] = await Promise.all([
      rowsByKey(this.clients.files, runId, [...byKey.keys()]),
      set === undefined ? undefined : this.planSet(runId, set),
    ]);
    const asked = new Set(blobNames);
    const out = new Map<string, StoredFile>();
    for (const [key, row] of rows) {
      const file = rowToFile(row);
      if (file.blobName !== byKey.get(key)) continue;
      out.set(file.blobName, { file, etag: String(row.etag), planned: plannedOf(row) });
    }
    for (const entry of planned?.files ?? [])
      if (asked.has(entry.blobName) && !out.has(entry.blobName))
        out.set(entry.blobName, {
          file: {
            blobName: entry.blobName,
            status: 'planned',
            size: entry.size,
            bytesDone: 0,
            attempts: 0,
            counted: false,
            updatedAt: planned!.at,
          },
          planned: entry,
        });
    return out;
  }

  /** A plan set of the run, or undefined when the run planned no such set. */
  private async planSet(
    runId: string,
    id: string,
  ): Promise<{ at: string; files: PlannedFile[] } | undefined> {
    const stored = await this.files.get(runId, setKey(id));
    if (!stored) return undefined;
    return { at: field.string(stored.value, 'at') ?? '', files: planSetFiles(stored.value) };
  }

  /**
   * Moves many files to their final state and counts them, each exactly once: one transaction per
   * up to 99 file rows, each replaced only if unchanged since `etag` was read, plus ONE counter shard
   * that takes the sum of their counts. If any row (or the shard) changed meanwhile the transaction
   * applies nothing; it is tried again on another shard, and then those files go one by one
   * through finishFile. Returns how many this call
   * finished (files already final are not counted again).
   */
  async finishFiles(
    runId: string,
    results: ReadonlyArray<{ result: Omit<FileResult, 'counted' | 'updatedAt'>; etag?: string }>,
  ): Promise<number> {
    let finished = 0;
    await this.files.prepare();
    for (let i = 0; i < results.length; i += TABLE_BATCH_LIMIT - 1) {
      const slice = results.slice(i, i + TABLE_BATCH_LIMIT - 1);
      // A lost race is most often on the shard (another batch counted into it first): a few more
      // tries, each on a freshly read random shard, before the files go one by one.
      let written = false;
      for (let attempt = 0; attempt < 4 && !written; attempt += 1)
        written = await this.writeCounted(runId, slice);
      if (written) finished += slice.length;
      else for (const { result } of slice) if (await this.finishFile(runId, result)) finished += 1;
    }
    return finished;
  }

  /**
   * Progress of a file in flight (bytes acknowledged); never overwrites a final result. With
   * `sessionUrlHash`, binds the file to the upload session just created; without, keeps the one
   * the row holds (a progress write must not unbind the session a continuation will name).
   */
  async recordFileProgress(
    runId: string,
    blobName: string,
    size: number,
    bytesDone: number,
    attempts: number,
    sessionUrlHash?: string,
  ): Promise<void> {
    const key = encodeRowKey(blobName);
    const stored = await this.files.get(runId, key);
    const current = stored && rowToFile(stored.value);
    if (current && isFinal(current.status)) return;
    const row: Row = {
      blobName,
      status: 'uploading',
      size,
      bytesDone,
      attempts,
      counted: false,
      updatedAt: this.now().toISOString(),
    };
    const hash = sessionUrlHash ?? current?.sessionUrlHash;
    if (hash) row.sessionUrlHash = hash;
    try {
      // Merged, not replaced: the planned ETag stays on the row, so a task for another version of the
      // blob (an events run plans each of its versions in turn) is still told apart while this uploads.
      if (stored) await this.files.merge(runId, key, row, stored.etag);
      else await this.files.insert(runId, key, row);
    } catch (error) {
      // Someone else wrote the row meanwhile (a duplicate delivery or the final result): progress is
      // only informative, so losing this write is fine. A lost session binding costs at most one
      // refused continuation, i.e. one re-upload of the file from a new session.
      if (!isAppError(error, 'Conflict')) throw error;
    }
  }

  /**
   * Moves a file to its final state and counts it, exactly once however often it is delivered.
   * Returns false when it was already final (this delivery changed nothing).
   */
  async finishFile(runId: string, result: Omit<FileResult, 'counted' | 'updatedAt'>): Promise<boolean> {
    const key = encodeRowKey(result.blobName);
    for (let attempt = 0; attempt < 20; attempt += 1) {
      const stored = await this.files.get(runId, key);
      const current = stored && rowToFile(stored.value);
      if (current && isFinal(current.status)) {
        // Rows written before counting became transactional can be final yet uncounted: count now.
        if (!current.counted && !(await this.writeCounted(runId, [{ result: current, etag: stored.etag }])))
          continue;
        return false;
      }
      if (await this.writeCounted(runId, [{ result, etag: stored?.etag }])) return true;
    }
    throw new AppError(
      'Transient',
      `Could not record the result of ${result.blobName}: the row kept changing.`,
    );
  }

  /**
   * Writes final file rows (marked counted, each replaced only if unchanged since `etag` was read,
   * created when it has none) and adds their sum to ONE random counter shard, in one transaction of
   * at most TABLE_BATCH_LIMIT - 1 rows. A row that keeps its `updatedAt` (a final row counted late)
   * keeps it; the others are stamped now. False when another writer changed a file row or the shard
   * first (the transaction then applies nothing): read and retry.
   */
  private async writeCounted(
    runId: string,
    files: ReadonlyArray<{
      result: Omit<FileResult, 'counted' | 'updatedAt'> & { updatedAt?: string };
      etag?: string;
    }>,
  ): Promise<boolean> {
    const shardKey = `${COUNTER_PREFIX}${String(randomInt(SHARDS)).padStart(2, '0')}`;
    const shard = await this.files.get(runId, shardKey);
    const at = this.now().toISOString();
    const shardRow: TableEntity<Row> = { partitionKey: runId, rowKey: shardKey, at };
    const add = (key: string, n: number | undefined): void => {
      if (!n) return;
      shardRow[key] =
        ((shardRow[key] as number | undefined) ?? (shard?.value[key] as number | undefined) ?? 0) + n;
    };
    const actions: TransactionAction[] = [];
    for (const { result, etag } of files) {
      const counter =
        result.status === 'uploaded' ? 'uploaded' : result.status === 'skipped' ? 'skipped' : 'failed';
      add(`${counter}Files`, 1);
      add(`${counter}Bytes`, result.size);
      // Throttling figures ride on the same shard write, so they cost no extra row or request.
      add('throttledMs', result.throttledMs);
      add('throttles', result.throttles);
      const fileRow = {
        partitionKey: runId,
        rowKey: encodeRowKey(result.blobName),
        ...definedFields({ ...result, counted: true, updatedAt: result.updatedAt ?? at }),
      };
      actions.push(etag ? ['update', fileRow, 'Replace', { etag }] : ['create', fileRow]);
    }
    actions.push(shard ? ['update', shardRow, 'Merge', { etag: shard.etag }] : ['create', shardRow]);
    try {
      await this.clients.files.submitTransaction(actions);
      return true;
    } catch (error) {
      // 404: a row read for an update is gone (the next read sees it so and creates it).
      const status = (error as { statusCode?: number }).statusCode;
      if (status === 409 || status === 412 || status === 404) return false;
      throw error;
    }
  }

  /** Shows a long upload is alive (the scheduler's stuck-run check); spread over rows to avoid a hot row. */
  async heartbeat(runId: string): Promise<void> {
    const key = `heartbeat-${String(randomInt(SHARDS)).padStart(2, '0')}`;
    await this.progress.upsert(runId, key, { at: this.now().toISOString() });
  }

  /** Live totals, the planner's pages, and the last time anything moved. */
  async totals(runId: string): Promise<{
    totals: RunTotals;
    pages: number;
    lastPageSeen: boolean;
    lastProgressAt?: string;
    /** Unchanged files whose facts the planner refreshed in the manifest (what the run index lists changed). */
    refreshedFiles: number;
  }> {
    const [rows, shards] = await Promise.all([
      this.progress.listPartition(runId),
      collect(
        query(
          this.clients.files,
          odata`PartitionKey eq ${runId} and RowKey ge ${COUNTER_PREFIX} and RowKey lt ${COUNTER_END}`,
        ),
      ),
    ]);
    const totals = { ...EMPTY_TOTALS };
    let pages = 0;
    let lastPageSeen = false;
    let refreshedFiles = 0;
    let lastProgressAt: string | undefined;
    const seen = (at: string | undefined): void => {
      if (at && (!lastProgressAt || at > lastProgressAt)) lastProgressAt = at;
    };
    for (const { rowKey, value } of rows) {
      const v = value as Record<string, unknown>;
      seen(field.string(v, 'at'));
      if (!rowKey.startsWith('page-')) continue;
      pages += 1;
      if (field.boolean(v, 'last')) lastPageSeen = true;
      totals.plannedFiles += num(v, 'files');
      totals.plannedBytes += num(v, 'bytes');
      totals.skippedFiles += num(v, 'skippedFiles');
      totals.skippedBytes += num(v, 'skippedBytes');
      if (num(v, 'missedByEvents'))
        totals.missedByEvents = (totals.missedByEvents ?? 0) + num(v, 'missedByEvents');
      refreshedFiles += num(v, 'refreshedFiles');
    }
    for (const v of shards) {
      seen(field.string(v, 'at'));
      // Shards count skipped files only for workers that skip (restores); the pages' skipped
      // files (a backup's planner) and these never describe the same file.
      totals.skippedFiles += num(v, 'skippedFiles');
      totals.skippedBytes += num(v, 'skippedBytes');
      totals.uploadedFiles += num(v, 'uploadedFiles');
      totals.uploadedBytes += num(v, 'uploadedBytes');
      totals.failedFiles += num(v, 'failedFiles');
      totals.failedBytes += num(v, 'failedBytes');
      const throttledMs = num(v, 'throttledMs');
      const throttles = num(v, 'throttles');
      if (throttledMs || throttles) {
        totals.throttledMs = (totals.throttledMs ?? 0) + throttledMs;
        totals.throttles = (totals.throttles ?? 0) + throttles;
      }
    }
    return { totals, pages, lastPageSeen, lastProgressAt, refreshedFiles };
  }

  /** Every file row of a run in row-key order (encodeRowKey of the name), counters left out. */
  async *fileRows(runId: string): AsyncIterable<FileResult> {
    const entities = query(this.clients.files, odata`PartitionKey eq ${runId}`);
    for await (const entity of entities) {
      if (isBookkeeping(entity.rowKey)) continue;
      yield rowToFile(entity);
    }
  }

  /** Files that failed, with their reasons (GET runs/{id}). */
  async failures(runId: string, limit = 500): Promise<FileResult[]> {
    return this.filesIn(runId, 'failed', limit);
  }

  /** Files still being copied, with the bytes acknowledged so far (GET runs/{id} while it runs). */
  async inFlightFiles(runId: string, limit = 20): Promise<FileResult[]> {
    return this.filesIn(runId, 'uploading', limit);
  }

  private async filesIn(runId: string, status: FileStatus, limit: number): Promise<FileResult[]> {
    const out: FileResult[] = [];
    const entities = query(this.clients.files, odata`PartitionKey eq ${runId} and status eq ${status}`);
    for await (const entity of entities) {
      out.push(rowToFile(entity));
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Files SharePoint rewrote after upload (officeFiles: native), with what it holds (GET runs/{id}). */
  async rewrittenFiles(runId: string, limit = 500): Promise<FileResult[]> {
    const out: FileResult[] = [];
    const entities = query(this.clients.files, odata`PartitionKey eq ${runId} and rewritten eq true`);
    for await (const entity of entities) {
      out.push(rowToFile(entity));
      if (out.length >= limit) break;
    }
    return out;
  }

  /**
   * Exact totals from the file rows (used once, when a run ends, to correct any lost count).
   * Without skipped files: callers spread this over the live totals, whose skipped counts (a
   * backup's planner pages) the file rows know nothing of. See countFileOutcomes.
   */
  async countFiles(runId: string): Promise<{
    uploadedFiles: number;
    uploadedBytes: number;
    failedFiles: number;
    failedBytes: number;
    inFlight: number;
  }> {
    const { skippedFiles: _files, skippedBytes: _bytes, ...out } = await this.countFileOutcomes(runId);
    return out;
  }

  /** Exact totals from the file rows, skipped files included (for runs whose workers skip: restores). */
  async countFileOutcomes(runId: string): Promise<{
    uploadedFiles: number;
    uploadedBytes: number;
    skippedFiles: number;
    skippedBytes: number;
    failedFiles: number;
    failedBytes: number;
    inFlight: number;
  }> {
    const out = {
      uploadedFiles: 0,
      uploadedBytes: 0,
      skippedFiles: 0,
      skippedBytes: 0,
      failedFiles: 0,
      failedBytes: 0,
      inFlight: 0,
    };
    // Plan sets are looked up a few at a time as the scan meets them (their files' rows may lie
    // anywhere in the partition): a file planned in one with no row of its own is still in flight.
    let sets: Array<Record<string, unknown>> = [];
    const lookUp = async (): Promise<void> => {
      const counts = await Promise.all(sets.map((set) => this.unstartedFiles(runId, set)));
      out.inFlight += counts.reduce((sum, n) => sum + n, 0);
      sets = [];
    };
    const entities = query(this.clients.files, odata`PartitionKey eq ${runId}`);
    for await (const entity of entities) {
      if (String(entity.rowKey).startsWith(COUNTER_PREFIX)) continue;
      if (String(entity.rowKey).startsWith(SET_PREFIX)) {
        sets.push(entity);
        if (sets.length >= SET_LOOKUPS) await lookUp();
        continue;
      }
      // An events run's plan rows: the outcome of an earlier version moved there counts (it was a
      // copy of its own); a plan row of a blob's first version holds no outcome.
      if (String(entity.rowKey).startsWith(PLAN_PREFIX) && entity.status === undefined) continue;
      const file = rowToFile(entity);
      if (file.status === 'uploaded') {
        out.uploadedFiles += 1;
        out.uploadedBytes += file.size;
      } else if (file.status === 'skipped') {
        out.skippedFiles += 1;
        out.skippedBytes += file.size;
      } else if (file.status === 'failed') {
        out.failedFiles += 1;
        out.failedBytes += file.size;
      } else out.inFlight += 1;
    }
    await lookUp();
    return out;
  }

  /** How many files of a plan set row have no row of their own (planned, not started). */
  private async unstartedFiles(runId: string, set: Record<string, unknown>): Promise<number> {
    const keys = planSetFiles(set).map((f) => encodeRowKey(f.blobName));
    const rows = await rowsByKey(this.clients.files, runId, keys);
    return keys.filter((key) => !rows.has(key)).length;
  }
}

/** Plan sets looked up at once while a run's rows are counted. */
const SET_LOOKUPS = 8;

/** The columns of a plan set row's deflated JSON (planSetColumns); `files` holds it as it is. */
const PACKED_FILES = 'filesDeflated';

/**
 * A plan set's JSON as its row keeps it: raw deflate at the fastest level, in base64, when that is
 * shorter (it is several times shorter for files that share folders, properties and metadata), or
 * as it is. A page of 5,000 small files plans about 1.4 MB of sets; every byte of them is sent in a
 * Table transaction, parsed and stored by the Table service, and read back by every batch's
 * uploader, while deflating them costs a few milliseconds a page. The fastest level: the rows live
 * as long as their run, so compressing harder saves little and costs the planner CPU.
 */
function planSetColumns(json: string): Record<string, string | number> {
  const packed = deflateRawSync(json, { level: 1 }).toString('base64');
  return packed.length < json.length ? splitColumns(PACKED_FILES, packed) : splitColumns('files', json);
}

/**
 * The JSON planSetColumns stored, or undefined when the row holds none that reads. Inflated to at
 * most what the planner could have deflated (PLAN_SET_CHARS characters of UTF-8), so a row that is
 * not one of ours cannot make the reader allocate without bound.
 */
function planSetJsonOf(row: Record<string, unknown>): string | undefined {
  const packed = joinColumns(row, PACKED_FILES);
  if (packed === undefined) return joinColumns(row, 'files');
  try {
    return inflateRawSync(Buffer.from(packed, 'base64'), { maxOutputLength: 3 * PLAN_SET_CHARS }).toString(
      'utf8',
    );
  } catch {
    return undefined;
  }
}

/** The files of a plan set row (planSets); a row that does not read as one holds none. */
function planSetFiles(row: Record<string, unknown>): PlannedFile[] {
  const json = planSetJsonOf(row);
  if (json === undefined) return [];
  let entries: unknown;
  try {
    entries = JSON.parse(json);
  } catch {
    return [];
  }
  if (!Array.isArray(entries)) return [];
  const out: PlannedFile[] = [];
  for (const entry of entries as Array<Record<string, unknown>>) {
    if (!entry || typeof entry !== 'object') continue;
    const blobName = field.string(entry, 'blobName');
    const size = field.number(entry, 'size');
    if (blobName === undefined || size === undefined) continue;
    out.push({
      blobName,
      size,
      etag: field.string(entry, 'etag'),
      lastModified: field.string(entry, 'lastModified'),
      contentMd5: field.string(entry, 'contentMd5'),
      facts: readFacts(entry.facts),
    });
  }
  return out;
}

const PAGE_PREFIX = 'page-';
/** The first row key after every `page-N` (the character after '-'). */
const PAGE_END = 'page.';
const pageKey = (index: number): string => `${PAGE_PREFIX}${String(index).padStart(8, '0')}`;

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** A file's planned row (RunStore.planFiles, planEventFile), with what the listing said of the blob. */
function plannedRow(runId: string, f: PlannedFile, at: string): TableEntity<Row> {
  return {
    partitionKey: runId,
    rowKey: encodeRowKey(f.blobName),
    ...definedFields({
      blobName: f.blobName,
      status: 'planned',
      size: f.size,
      bytesDone: 0,
      attempts: 0,
      counted: false,
      updatedAt: at,
      [PLANNED_ETAG]: f.etag,
      [PLANNED_SIZE]: f.size,
      plannedLastModified: f.lastModified,
      plannedMd5: f.contentMd5,
    }),
    ...(f.facts ? splitColumns(PLANNED_FACTS, JSON.stringify(f.facts)) : {}),
  };
}

/** A final file row's own columns (the Table service's keys, ETag and timestamp left out). */
function outcomeColumns(row: Record<string, unknown>): Row {
  const { partitionKey: _p, rowKey: _r, etag: _e, timestamp: _t, ...columns } = row;
  return definedFields(columns) as Row;
}
