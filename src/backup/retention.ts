// End-of-run housekeeping in the drive. Snapshot mode: dated folders beyond the job's policy (keep
// the last N, and/or none older than D days) are removed; the run's own folder is always kept.
// Mirror mode: files whose blob is gone (when deletions propagate) or older than the mirror's
// maximum age are removed, and their manifest entries with them. Removal goes to the recycle bin;
// `permanentDelete` is used only when the job asks for hard delete and the drive supports it.
import { isAppError } from '../errors';
import { graphPath, joinDrivePath } from '../graph/names';
import type { Job } from '../store/jobs';
import { inCurrentPlace } from '../store/manifest';
import type { Run, RunStatus } from '../store/runs';
import type { BackupDeps, DriveDestination } from './deps';
import { checkMassDeletion } from './deletionGuard';
import { snapshotFolderTime } from '../graph/snapshotFolders';
import { graphCall, type GraphHttpContext } from '../graph/http';
import { readDriveItem, readPage, type GraphDriveItem } from '../graph/model';
import { DEFAULT_RETRY_POLICY } from '../runtime/retry';

const DAY_MS = 86_400_000;

export async function cleanupAfterRun(
  deps: BackupDeps,
  run: Run,
  status: RunStatus,
): Promise<string | undefined> {
  const job = await deps.jobs.get(run.jobId);
  if (!job) return undefined;
  const wantsSnapshots =
    job.mode === 'snapshot' &&
    (job.retention.keepLast !== undefined || job.retention.maxAgeDays !== undefined);
  const wantsMirror =
    job.mode === 'mirror' && (job.propagateDeletes || job.retention.mirrorMaxAgeDays !== undefined);
  if (!wantsSnapshots && !wantsMirror) return undefined;
  const destination = await deps.destination(job.connectionId);
  const remover = new Remover(deps, destination, job.hardDelete);
  // A personal drive has no permanentDelete: the job's hard delete cannot be honoured, and a person
  // reading the run should learn why the recycle bin still fills up.
  const note = remover.fellBack
    ? ' to the recycle bin (hard delete is not available on a personal drive)'
    : '';
  if (remover.fellBack)
    deps.log.info('retention.hardDelete.unavailable', {
      jobId: job.id,
      runId: run.id,
      driveType: destination.driveType,
      note: 'permanentDelete exists on business drives only; items go to the recycle bin instead',
    });
  if (wantsSnapshots) {
    const removed = await pruneSnapshots(deps, remover, destination, job, run);
    return `removed ${removed} snapshot folder(s)${note}`;
  }
  const { removed, refused } = await pruneMirror(deps, remover, job, run, status);
  return `removed ${removed} file(s) from the mirror${note}${refused ? `; refused to remove files deleted at source: ${refused}` : ''}`;
}

/** Removes drive items the way housekeeping does (also used for deletions announced by events). */
export class Remover {
  readonly ctx: GraphHttpContext;
  private readonly permanent: boolean;
  /** The job asked for hard delete but the drive cannot do it. */
  readonly fellBack: boolean;

  constructor(
    deps: BackupDeps,
    private readonly destination: DriveDestination,
    hardDelete: boolean,
  ) {
    this.permanent = hardDelete && destination.driveType !== 'personal';
    this.fellBack = hardDelete && !this.permanent;
    this.ctx = {
      clock: deps.clock,
      retry: DEFAULT_RETRY_POLICY,
      log: deps.log,
      requestTimeoutMs: 60_000,
      // Housekeeping runs at the end of a run, outside any file's invocation budget.
      deadline: Number.MAX_SAFE_INTEGER,
    };
  }

  private itemUrl(id: string): string {
    return `${this.destination.apiBaseUrl}/drives/${encodeURIComponent(this.destination.driveId)}/items/${encodeURIComponent(id)}`;
  }

  /** Removes an item; an item already gone counts as removed. */
  async remove(itemId: string): Promise<void> {
    try {
      if (this.permanent)
        await graphCall(
          this.ctx,
          this.destination.tokens,
          { method: 'POST', url: `${this.itemUrl(itemId)}/permanentDelete` },
          'Permanent delete',
        );
      else
        await graphCall(
          this.ctx,
          this.destination.tokens,
          { method: 'DELETE', url: this.itemUrl(itemId) },
          'Delete',
        );
    } catch (error) {
      if (!isAppError(error, 'NotFound')) throw error;
    }
  }

  async children(folderPath: string): Promise<GraphDriveItem[]> {
    const out: GraphDriveItem[] = [];
    const drive = `${this.destination.apiBaseUrl}/drives/${encodeURIComponent(this.destination.driveId)}`;
    // `root:/:/children` is not a valid address: a job writing at the drive root lists root/children.
    let url: string | undefined = folderPath
      ? `${drive}/root:/${graphPath(folderPath)}:/children`
      : `${drive}/root/children`;
    while (url) {
      let body: unknown;
      try {
        body = (await graphCall(this.ctx, this.destination.tokens, { method: 'GET', url }, 'List folder'))
          .body;
      } catch (error) {
        if (isAppError(error, 'NotFound')) return out;
        throw error;
      }
      const page = readPage(body, readDriveItem);
      out.push(...page.value);
      url = page.nextLink;
    }
    return out;
  }
}

async function pruneSnapshots(
  deps: BackupDeps,
  remover: Remover,
  destination: DriveDestination,
  job: Job,
  run: Run,
): Promise<number> {
  const folder = joinDrivePath(destination.rootFolder, job.destinationFolder);
  const snapshots = (await remover.children(folder))
    .filter((c) => c.folder !== undefined)
    .map((c) => ({ ...c, at: snapshotFolderTime(c.name ?? '') }))
    .filter((c): c is typeof c & { at: number } => c.at !== undefined)
    .sort((a, b) => b.at - a.at);
  const now = deps.clock.now();
  let removed = 0;
  for (const [index, snapshot] of snapshots.entries()) {
    if (snapshot.name === run.snapshotFolder) continue;
    const beyondCount = job.retention.keepLast !== undefined && index >= job.retention.keepLast;
    const tooOld =
      job.retention.maxAgeDays !== undefined && now - snapshot.at > job.retention.maxAgeDays * DAY_MS;
    if (!beyondCount && !tooOld) continue;
    await remover.remove(snapshot.id);
    removed += 1;
    deps.log.info('retention.snapshot.removed', { jobId: job.id, runId: run.id, folder: snapshot.name });
  }
  return removed;
}

async function pruneMirror(
  deps: BackupDeps,
  remover: Remover,
  job: Job,
  run: Run,
  status: RunStatus,
): Promise<{ removed: number; refused?: string }> {
  const maxAge =
    job.retention.mirrorMaxAgeDays !== undefined ? job.retention.mirrorMaxAgeDays * DAY_MS : undefined;
  const now = deps.clock.now();
  const doomed: Array<{
    blobName: string;
    driveItemId: string;
    why: string;
    onlyGone: boolean;
    /** The copy is in the job's old destination (Job.manifestSince): only the entry goes. */
    keepCopy: boolean;
  }> = [];
  // `seenRunId` tells which blobs this run saw only when the run listed the whole source: a run
  // that failed, or finished without planning every page, must not delete what it did not list.
  const listedAll = status !== 'failed' && run.planningComplete;
  let entries = 0;
  let seen = 0;
  for await (const entry of deps.manifest.list(job.id)) {
    entries += 1;
    if (entry.seenRunId === run.id) seen += 1;
    // A copy made since this run began (by a blob event beside it) marks a blob that existed then,
    // whose row no longer names this run: not "deleted at source". A later deletion has its own event.
    const copiedSince = Date.parse(entry.uploadedAt) > Date.parse(run.createdAt);
    const gone = job.propagateDeletes && listedAll && entry.seenRunId !== run.id && !copiedSince;
    const old =
      maxAge !== undefined &&
      entry.lastModified !== undefined &&
      now - Date.parse(entry.lastModified) > maxAge;
    if (gone || old)
      doomed.push({
        blobName: entry.blobName,
        driveItemId: entry.driveItemId,
        why: gone ? 'deleted at source' : 'past maximum age',
        onlyGone: gone && !old,
        keepCopy: !inCurrentPlace(entry, job),
      });
  }
  const gone = doomed.filter((d) => d.onlyGone);
  const verdict = await checkMassDeletion(
    deps.source(job),
    { manifestEntries: entries, seenByRun: seen },
    gone.map((d) => d.blobName),
  );
  if (!verdict.allowed) {
    deps.log.error('retention.mirror.refused', {
      jobId: job.id,
      runId: run.id,
      listed: seen,
      manifest: entries,
      wouldRemove: gone.length,
      reason: verdict.reason,
    });
    // Files past the maximum age go whatever the listing saw: that rule reads the manifest only.
    doomed.splice(0, doomed.length, ...doomed.filter((d) => !d.onlyGone));
  }
  for (const item of doomed) {
    if (!item.keepCopy) await remover.remove(item.driveItemId);
    await deps.manifest.delete(job.id, item.blobName);
    deps.log.info(item.keepCopy ? 'retention.entry.dropped' : 'retention.file.removed', {
      jobId: job.id,
      runId: run.id,
      file: item.blobName,
      why: item.keepCopy ? `${item.why}; its copy is in the job's previous destination and stays` : item.why,
    });
  }
  return { removed: doomed.length, refused: verdict.allowed ? undefined : verdict.reason };
}
