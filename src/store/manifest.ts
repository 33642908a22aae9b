// The manifest: per job, what was last copied for each source blob (ETag, size, MD5) and where it
// went (drive item id, quickXorHash). The planner compares the source with it so unchanged files
// cost no Graph request; the uploader writes an entry only after a verified upload.
import { createHash } from 'node:crypto';
import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import { readFacts, type BlobFacts } from '../sources/blobFacts';
import { joinColumns, splitColumns } from './longText';
import { definedFields, field, rowsByKey, TableRepository, tableBatches } from './table';

export const MANIFEST_TABLE = 'manifest';

/** Longest escaped key kept readable; longer names use a digest (Table keys are limited to 1 KiB). */
const MAX_READABLE_KEY = 400;

/**
 * A Table row key for any string. Table storage forbids / \ # ? and control characters in keys;
 * those (and `%` and `~`, so the mapping stays reversible and `~` stays free) become `%XX`. Very long
 * names become `~` + SHA-256: not reversible, so rows keep the original name in a property.
 */
export function encodeRowKey(value: string): string {
  const escaped = value.replace(
    // Control characters are exactly what Table storage refuses, so the pattern names them.
    // eslint-disable-next-line no-control-regex
    /[%~/\\#?\u0000-\u001f\u007f-\u009f]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
  if (escaped.length <= MAX_READABLE_KEY) return escaped;
  return `~${createHash('sha256').update(value, 'utf8').digest('hex')}`;
}

/** Inverse of encodeRowKey for readable keys (digest keys return undefined: read the row's name). */
export function decodeRowKey(key: string): string | undefined {
  if (key.startsWith('~')) return undefined;
  return key.replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** Rows matching a filter (for queries the repository does not offer); a table not created yet has none. */
export async function* query(client: TableClient, filter: string): AsyncIterable<Record<string, unknown>> {
  try {
    for await (const entity of client.listEntities<Record<string, unknown>>({ queryOptions: { filter } }))
      yield entity;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return;
    throw error;
  }
}

export interface ManifestEntry {
  blobName: string;
  etag: string;
  size: number;
  contentMd5?: string;
  /** Source last-modified time (ISO), for mirror-mode maximum age. */
  lastModified?: string;
  driveItemId: string;
  /** Drive path relative to the drive root (not URL-encoded), for deletes and restores. */
  drivePath: string;
  quickXorHash: string;
  uploadedAt: string;
  /** The last run whose planning saw this blob in the source (kept only when deletions propagate). */
  seenRunId?: string;
  /**
   * SharePoint rewrote the file after upload (Office property promotion, officeFiles: native):
   * `quickXorHash` and `driveSize` are the library's copy, which is what a restore gets back.
   */
  rewritten?: boolean;
  driveSize?: number;
  /**
   * Properties, metadata and tags of the version copied (or, for an unchanged file, as last
   * listed): what the run index records and a restore puts back. Absent on rows written before.
   */
  facts?: BlobFacts;
}

type Row = Record<string, string | number | boolean | undefined>;

/**
 * The source blob's ETag is stored as `blobEtag`: Table storage reserves `etag` for the row's own
 * ETag (odata.etag), and the repository strips it on read, which silently emptied this field.
 */
const BLOB_ETAG_COLUMN = 'blobEtag';

/** Metadata alone may be 8 KiB and ten tags nearly 4 KiB, so facts take columns of their own (./longText.ts). */
const FACTS_COLUMN = 'facts';

const factsColumns = (facts: BlobFacts): Row => splitColumns(FACTS_COLUMN, JSON.stringify(facts));

function toRow(entry: ManifestEntry): Row {
  const { etag, facts, ...rest } = entry;
  return { ...rest, [BLOB_ETAG_COLUMN]: etag, ...(facts ? factsColumns(facts) : {}) } as Row;
}

function factsOf(raw: Record<string, unknown>): BlobFacts | undefined {
  const text = joinColumns(raw, FACTS_COLUMN);
  if (text === undefined) return undefined;
  try {
    return readFacts(JSON.parse(text));
  } catch {
    return undefined;
  }
}

function decode(raw: Record<string, unknown>): Row {
  return raw as Row;
}

function toEntry(raw: Record<string, unknown>): ManifestEntry {
  return {
    blobName: field.requiredString(raw, 'blobName'),
    // Rows written before the blob ETag had its own column read as unknown (""), i.e. "compare by MD5".
    etag: field.string(raw, BLOB_ETAG_COLUMN) ?? '',
    size: field.number(raw, 'size') ?? -1,
    contentMd5: field.string(raw, 'contentMd5'),
    lastModified: field.string(raw, 'lastModified'),
    driveItemId: field.requiredString(raw, 'driveItemId'),
    drivePath: field.requiredString(raw, 'drivePath'),
    quickXorHash: field.requiredString(raw, 'quickXorHash'),
    uploadedAt: field.requiredString(raw, 'uploadedAt'),
    seenRunId: field.string(raw, 'seenRunId'),
    rewritten: field.boolean(raw, 'rewritten') || undefined,
    driveSize: field.number(raw, 'driveSize'),
    facts: factsOf(raw),
  };
}

/** Where a blob's copy is in the drive: what a restore needs of a manifest entry. */
export interface ManifestLocation {
  blobName: string;
  driveItemId: string;
  size: number;
}

/** One page of a job's entries, and the token of the next page when there is one. */
export interface ManifestLocationPage {
  entries: ManifestLocation[];
  continuationToken?: string;
}

/** What the planner knows of a source blob. */
export interface SourceBlobFacts {
  etag: string;
  size: number;
  contentMd5?: string;
}

/** True when the entry describes exactly this version of the blob (no upload needed). */
export function manifestMatches(
  entry: ManifestEntry | undefined,
  blob: SourceBlobFacts,
  job?: { manifestSince?: string },
): boolean {
  if (!entry || !inCurrentPlace(entry, job)) return false;
  if (entry.size !== blob.size) return false;
  if (entry.etag === blob.etag) return true;
  // A blob rewritten with identical bytes gets a new ETag; the MD5 (when the source has one) proves
  // the content is the same, so a re-upload would only copy the same bytes again.
  return !!entry.contentMd5 && !!blob.contentMd5 && entry.contentMd5 === blob.contentMd5;
}

/**
 * False for an entry recorded before the job's destination or source last changed (Job.manifestSince):
 * it describes a copy in the old place. An entry whose time does not parse is treated as old.
 */
export function inCurrentPlace(entry: ManifestEntry, job?: { manifestSince?: string }): boolean {
  if (!job?.manifestSince) return true;
  // Strictly after: a copy recorded in the same millisecond as the change may be the old place's,
  // and copying a file once more costs bytes, not a backup.
  return Date.parse(entry.uploadedAt) > Date.parse(job.manifestSince);
}

/** Partition of a job's page digests: `~` never appears in a job id. */
const pagesPartition = (jobId: string): string => `${jobId}~pages`;

export class ManifestStore {
  private readonly repo: TableRepository<Row>;

  constructor(private readonly client: TableClient) {
    this.repo = new TableRepository<Row>(client, decode);
  }

  async get(jobId: string, blobName: string): Promise<ManifestEntry | undefined> {
    const stored = await this.repo.get(jobId, encodeRowKey(blobName));
    if (!stored) return undefined;
    const entry = toEntry(stored.value as Record<string, unknown>);
    // A digest key could in theory be shared by two names; the stored name settles it.
    return entry.blobName === blobName ? entry : undefined;
  }

  /** Entries for many names (one planner page, one batch) with one range query (./table.ts rowsByKey). */
  async getMany(jobId: string, blobNames: readonly string[]): Promise<Map<string, ManifestEntry>> {
    const byKey = new Map(blobNames.map((name) => [encodeRowKey(name), name]));
    const rows = await rowsByKey(this.client, jobId, [...byKey.keys()]);
    const found = new Map<string, ManifestEntry>();
    for (const [key, row] of rows) {
      const entry = toEntry(row);
      // A digest key could in theory be shared by two names; the stored name settles it.
      if (entry.blobName === byKey.get(key)) found.set(entry.blobName, entry);
    }
    return found;
  }

  /**
   * The digest recorded for the listing page that starts at `position` (the hash of its
   * continuation token) when all its files were last found unchanged (../backup/pageDigest.ts).
   * Kept in a partition of their own so that reads of the job's entries never meet them.
   */
  async pageDigest(jobId: string, position: string): Promise<string | undefined> {
    const stored = await this.repo.get(pagesPartition(jobId), `p${position}`);
    return typeof stored?.value.digest === 'string' ? stored.value.digest : undefined;
  }

  async recordPageDigest(jobId: string, position: string, digest: string): Promise<void> {
    await this.repo.upsert(pagesPartition(jobId), `p${position}`, { digest });
  }

  /** Many pages' digests (a finished run's), in transactions of 100 as Table storage allows. */
  async recordPageDigests(
    jobId: string,
    digests: ReadonlyArray<{ position: string; digest: string }>,
  ): Promise<void> {
    if (!digests.length) return;
    await this.repo.prepare();
    for (const batch of tableBatches(digests))
      await this.client.submitTransaction(
        batch.map(({ position, digest }): TransactionAction => [
          'upsert',
          { partitionKey: pagesPartition(jobId), rowKey: `p${position}`, digest },
          'Replace',
        ]),
      );
  }

  async put(jobId: string, entry: ManifestEntry): Promise<void> {
    await this.repo.upsert(jobId, encodeRowKey(entry.blobName), toRow(entry));
  }

  /**
   * Writes many entries in entity-group transactions (one per 100 rows, the service's limit): the
   * uploader records a batch of small files with one request instead of one per file. Upserts, so
   * a redelivered batch writes the same rows again.
   */
  async putMany(jobId: string, entries: readonly ManifestEntry[]): Promise<void> {
    if (!entries.length) return;
    await this.repo.prepare();
    for (const batch of tableBatches(entries))
      await this.client.submitTransaction(
        batch.map((entry): TransactionAction => [
          'upsert',
          { partitionKey: jobId, rowKey: encodeRowKey(entry.blobName), ...definedFields(toRow(entry)) },
          'Replace',
        ]),
      );
  }

  /** Records that a run saw these blobs (batched, 100 per transaction as Table storage allows). */
  async markSeen(jobId: string, blobNames: readonly string[], runId: string): Promise<void> {
    for (const batch of tableBatches(blobNames)) {
      const actions = batch.map(
        (name) =>
          ['update', { partitionKey: jobId, rowKey: encodeRowKey(name), seenRunId: runId }, 'Merge'] as const,
      );
      if (actions.length) await this.client.submitTransaction(actions.map((a) => [...a]) as never);
    }
  }

  /** Records what the source says of an unchanged blob now (its metadata or tags changed alone). */
  async putFacts(jobId: string, blobName: string, facts: BlobFacts): Promise<void> {
    await this.repo.merge(jobId, encodeRowKey(blobName), factsColumns(facts));
  }

  async delete(jobId: string, blobName: string): Promise<boolean> {
    return this.repo.delete(jobId, encodeRowKey(blobName));
  }

  /**
   * One page of a job's entries, only the columns a restore reads. A restore lists a manifest of
   * millions of rows across many queue messages, so each message carries the continuation token.
   */
  async page(
    jobId: string,
    continuationToken: string | undefined,
    pageSize: number,
  ): Promise<ManifestLocationPage> {
    const pages = this.client
      .listEntities<Record<string, unknown>>({
        queryOptions: {
          filter: odata`PartitionKey eq ${jobId}`,
          select: ['blobName', 'driveItemId', 'size'],
        },
      })
      .byPage({ maxPageSize: pageSize, continuationToken });
    let result: IteratorResult<Array<Record<string, unknown>> & { continuationToken?: string }>;
    try {
      result = await pages.next();
    } catch (error) {
      // A job that never uploaded anything may run before the table exists: an empty manifest.
      if ((error as { statusCode?: number }).statusCode === 404) return { entries: [] };
      throw error;
    }
    if (result.done || !result.value) return { entries: [] };
    const entries = result.value
      .filter((e) => typeof e.blobName === 'string' && typeof e.driveItemId === 'string')
      .map((e) => ({
        blobName: e.blobName as string,
        driveItemId: e.driveItemId as string,
        size: typeof e.size === 'number' ? e.size : 0,
      }));
    const next = result.value.continuationToken;
    return next ? { entries, continuationToken: next } : { entries };
  }

  /** Every entry of a job, page by page (for deletions, retention and restores). */
  async *list(jobId: string): AsyncIterable<ManifestEntry> {
    const entities = query(this.client, odata`PartitionKey eq ${jobId}`);
    for await (const entity of entities) yield toEntry(entity);
  }
}
