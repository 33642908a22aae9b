// The backup queues' messages, versioned and validated. They carry ids and positions, never a
// secret: the upload URL of a continuation is a short-lived capability for one upload session, and
// the uploader only ever sends it to an allowed upload host (./upload/uploadUrl.ts).
import { AppError } from '../errors';
import type { UploadContinuation } from './upload/types';

export interface PlanMessage {
  v: 1;
  runId: string;
  jobId: string;
  /** 0 for the first page. */
  page: number;
  continuationToken?: string;
}

export interface UploadMessage {
  v: 1;
  runId: string;
  jobId: string;
  blobName: string;
  etag: string;
  size: number;
  /** Source last-modified time (ISO), kept in the manifest. */
  lastModified?: string;
  contentMd5?: string;
  continuation?: UploadContinuation;
  /** The plan set the file was planned in, when it was one of a batch (see UploadBatchMessage.set). */
  set?: string;
}

/** One file of a batch task: what the planner listed of it. */
export interface UploadBatchFile {
  blobName: string;
  etag: string;
  size: number;
  lastModified?: string;
  contentMd5?: string;
}

/**
 * Several small files in one task: one queue message (and one dequeue, lease and delete) for up to
 * BATCH_LIMITS.files files instead of one each. Large files stay single tasks (v1): they need
 * continuations, which belong to one file.
 */
export interface UploadBatchMessage {
  v: 2;
  kind: 'upload-batch';
  runId: string;
  jobId: string;
  files: UploadBatchFile[];
  /**
   * The id of the plan set its run's planner wrote the batch's files into (RunStore.planSets).
   * Absent on batches queued by earlier versions, whose files have planned rows of their own.
   */
  set?: string;
}

/** Any task of the upload queue. */
export type UploadTask = UploadMessage | UploadBatchMessage;

export const BATCH_LIMITS = {
  files: 100,
  /** Total bytes of a batch's files: one invocation of small uploads, not a long one. */
  bytes: 64 * 1024 * 1024,
  /**
   * Characters of the message's JSON. A queue message is at most 64 KiB of base64 text, i.e. 48 KiB
   * of JSON; the planner closes a batch before it would pass this.
   */
  jsonChars: 45_000,
} as const;

const invalid = (why: string): AppError =>
  new AppError('MessageInvalid', `Malformed backup message: ${why}.`, {
    advice:
      'The message was not written by this version of the app, or was altered; it is set aside in the poison queue.',
  });

function object(message: unknown, version = 1): Record<string, unknown> {
  if (!message || typeof message !== 'object' || Array.isArray(message)) throw invalid('not a JSON object');
  const m = message as Record<string, unknown>;
  if (m.v !== version) throw invalid(`unknown version ${JSON.stringify(m.v)}`);
  return m;
}

const ID = /^[A-Za-z0-9-]{1,64}$/;

function id(m: Record<string, unknown>, key: string): string {
  const value = m[key];
  if (typeof value !== 'string' || !ID.test(value)) throw invalid(`${key} missing or malformed`);
  return value;
}

export function parsePlanMessage(message: unknown): PlanMessage {
  const m = object(message);
  const page = m.page ?? 0;
  if (typeof page !== 'number' || !Number.isSafeInteger(page) || page < 0)
    throw invalid('page must be a whole number');
  if (m.continuationToken !== undefined && typeof m.continuationToken !== 'string')
    throw invalid('continuationToken must be a string');
  return {
    v: 1,
    runId: id(m, 'runId'),
    jobId: id(m, 'jobId'),
    page,
    continuationToken: m.continuationToken as string | undefined,
  };
}

/** The plan set id a task names (RunStore.planSetId), checked for form only. */
function planSet(m: Record<string, unknown>): string | undefined {
  if (m.set !== undefined && (typeof m.set !== 'string' || !/^[0-9a-f]{64}$/.test(m.set)))
    throw invalid('set must be the 64 hex digits of a plan set id');
  return m.set as string | undefined;
}

export function parseUploadMessage(message: unknown): UploadMessage {
  const m = object(message);
  const set = planSet(m);
  if (typeof m.blobName !== 'string' || m.blobName.length === 0 || m.blobName.length > 1024)
    throw invalid('blobName missing');
  if (typeof m.etag !== 'string' || !m.etag) throw invalid('etag missing');
  if (typeof m.size !== 'number' || !Number.isSafeInteger(m.size) || m.size < 0)
    throw invalid('size must be a whole number of bytes');
  let continuation: UploadContinuation | undefined;
  if (m.continuation !== undefined) {
    const c = m.continuation as Record<string, unknown>;
    if (
      !c ||
      typeof c !== 'object' ||
      typeof c.uploadUrl !== 'string' ||
      typeof c.hashState !== 'string' ||
      typeof c.nextOffset !== 'number'
    )
      throw invalid('continuation needs uploadUrl, nextOffset and hashState');
    continuation = {
      uploadUrl: c.uploadUrl,
      nextOffset: c.nextOffset,
      hashState: c.hashState,
      sessionExpiresAt: typeof c.sessionExpiresAt === 'string' ? c.sessionExpiresAt : undefined,
    };
  }
  return {
    v: 1,
    runId: id(m, 'runId'),
    jobId: id(m, 'jobId'),
    blobName: m.blobName,
    etag: m.etag,
    size: m.size,
    lastModified: typeof m.lastModified === 'string' ? m.lastModified : undefined,
    contentMd5: typeof m.contentMd5 === 'string' ? m.contentMd5 : undefined,
    ...(set ? { set } : {}),
    continuation,
  };
}

const BATCH_KEYS = new Set(['v', 'kind', 'runId', 'jobId', 'files', 'set']);
const BATCH_FILE_KEYS = new Set(['blobName', 'etag', 'size', 'lastModified', 'contentMd5']);

function onlyKeys(m: Record<string, unknown>, allowed: ReadonlySet<string>, where: string): void {
  const extra = Object.keys(m).find((key) => !allowed.has(key));
  if (extra !== undefined)
    throw invalid(`${where} has an unknown field ${JSON.stringify(extra.slice(0, 40))}`);
}

function optionalShortString(m: Record<string, unknown>, key: string, max: number): string | undefined {
  const value = m[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > max)
    throw invalid(`${key} must be a string of at most ${max} characters`);
  return value;
}

function batchFile(raw: unknown, index: number): UploadBatchFile {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw invalid(`files[${index}] is not an object`);
  const f = raw as Record<string, unknown>;
  onlyKeys(f, BATCH_FILE_KEYS, `files[${index}]`);
  if (typeof f.blobName !== 'string' || f.blobName.length === 0 || f.blobName.length > 1024)
    throw invalid(`files[${index}].blobName missing`);
  if (typeof f.etag !== 'string' || !f.etag || f.etag.length > 256)
    throw invalid(`files[${index}].etag missing`);
  if (typeof f.size !== 'number' || !Number.isSafeInteger(f.size) || f.size < 0)
    throw invalid(`files[${index}].size must be a whole number of bytes`);
  return {
    blobName: f.blobName,
    etag: f.etag,
    size: f.size,
    lastModified: optionalShortString(f, 'lastModified', 64),
    contentMd5: optionalShortString(f, 'contentMd5', 64),
  };
}

/** A batch task, strictly: known fields only, within BATCH_LIMITS, each file named once. */
export function parseUploadBatchMessage(message: unknown): UploadBatchMessage {
  const m = object(message, 2);
  if (m.kind !== 'upload-batch') throw invalid(`unknown kind ${JSON.stringify(m.kind)}`);
  onlyKeys(m, BATCH_KEYS, 'the batch');
  if (!Array.isArray(m.files) || m.files.length === 0) throw invalid('files must be a non-empty list');
  if (m.files.length > BATCH_LIMITS.files) throw invalid(`a batch holds at most ${BATCH_LIMITS.files} files`);
  if (JSON.stringify(m).length > BATCH_LIMITS.jsonChars)
    throw invalid(`a batch is at most ${BATCH_LIMITS.jsonChars} characters`);
  const files = m.files.map(batchFile);
  if (new Set(files.map((f) => f.blobName)).size !== files.length) throw invalid('a file is named twice');
  const bytes = files.reduce((sum, f) => sum + f.size, 0);
  if (bytes > BATCH_LIMITS.bytes) throw invalid(`a batch holds at most ${BATCH_LIMITS.bytes} bytes`);
  const set = planSet(m);
  return {
    v: 2,
    kind: 'upload-batch',
    runId: id(m, 'runId'),
    jobId: id(m, 'jobId'),
    files,
    ...(set ? { set } : {}),
  };
}

/** Either kind of upload task, by its version. */
export function parseUploadTask(message: unknown): UploadTask {
  const v = message && typeof message === 'object' ? (message as { v?: unknown }).v : undefined;
  return v === 2 ? parseUploadBatchMessage(message) : parseUploadMessage(message);
}
