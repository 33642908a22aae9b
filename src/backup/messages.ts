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
}

const invalid = (why: string): AppError =>
  new AppError('MessageInvalid', `Malformed backup message: ${why}.`, {
    advice:
      'The message was not written by this version of the app, or was altered; it is set aside in the poison queue.',
  });

function object(message: unknown): Record<string, unknown> {
  if (!message || typeof message !== 'object' || Array.isArray(message)) throw invalid('not a JSON object');
  const m = message as Record<string, unknown>;
  if (m.v !== 1) throw invalid(`unknown version ${JSON.stringify(m.v)}`);
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

export function parseUploadMessage(message: unknown): UploadMessage {
  const m = object(message);
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
    continuation,
  };
}
