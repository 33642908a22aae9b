// Upload-session chunk size: Graph requires each chunk of an upload session (except the last) to
// be a multiple of 320 KiB and under 60 MiB (Microsoft's createUploadSession documentation). The one
// rule for a job's chunkSizeBytes, validated when the job is saved, and for the UPLOAD_CHUNK_BYTES
// setting that new jobs default to.

import { AppError } from '../errors';

/** 320 KiB: every chunk of an upload session is a multiple of this. */
export const CHUNK_UNIT_BYTES = 327_680;
/** Graph refuses a chunk of 60 MiB or more. */
export const MAX_CHUNK_BYTES_EXCLUSIVE = 60 * 1024 * 1024;
/** The largest valid chunk: 191 × 320 KiB = 59.6875 MiB. */
export const MAX_CHUNK_BYTES =
  Math.floor((MAX_CHUNK_BYTES_EXCLUSIVE - 1) / CHUNK_UNIT_BYTES) * CHUNK_UNIT_BYTES;
/** 10 MiB = 32 × 320 KiB: large enough for throughput, small enough to keep memory low. */
export const DEFAULT_CHUNK_BYTES = 10 * 1024 * 1024;

/** True for a chunk size Graph accepts. */
export function isValidChunkSize(n: number): boolean {
  return Number.isInteger(n) && n > 0 && n < MAX_CHUNK_BYTES_EXCLUSIVE && n % CHUNK_UNIT_BYTES === 0;
}

/** The valid sizes nearest to `n` (one below and/or one above), for the error message. */
export function nearestValidChunkSizes(n: number): number[] {
  const below = Math.floor(n / CHUNK_UNIT_BYTES) * CHUNK_UNIT_BYTES;
  const above = below + CHUNK_UNIT_BYTES;
  return [below, above].filter((v) => v >= CHUNK_UNIT_BYTES && v <= MAX_CHUNK_BYTES);
}

function describe(bytes: number): string {
  return `${bytes.toLocaleString('en-US')} (${bytes / CHUNK_UNIT_BYTES} × 320 KiB)`;
}

/** Returns `n` when it is a valid chunk size; otherwise throws ValidationFailed naming the rule and the nearest valid values. */
export function validateChunkSize(n: unknown): number {
  const rule = `must be a multiple of ${CHUNK_UNIT_BYTES.toLocaleString('en-US')} bytes (320 KiB), greater than 0 and under 60 MiB`;
  const fail = (why: string, n?: number): never => {
    const near = n === undefined ? [] : nearestValidChunkSizes(Math.min(Math.max(n, 0), MAX_CHUNK_BYTES));
    const suggestion = near.length ? `; nearest valid values: ${near.map(describe).join(' or ')}` : '';
    throw new AppError('ValidationFailed', `chunkSizeBytes ${rule}; ${why}${suggestion}`, {
      field: 'chunkSizeBytes',
      advice: `Use the default ${describe(DEFAULT_CHUNK_BYTES)} unless you have a reason not to.`,
    });
  };
  if (typeof n !== 'number' || !Number.isFinite(n)) return fail(`got ${JSON.stringify(n) ?? String(n)}`);
  if (!Number.isInteger(n)) return fail(`got ${n}, which is not a whole number of bytes`, n);
  if (n <= 0) return fail(`got ${n}`, CHUNK_UNIT_BYTES);
  if (n >= MAX_CHUNK_BYTES_EXCLUSIVE)
    return fail(`got ${n.toLocaleString('en-US')}, which is 60 MiB or more`, MAX_CHUNK_BYTES);
  if (n % CHUNK_UNIT_BYTES !== 0) return fail(`got ${n.toLocaleString('en-US')}`, n);
  return n;
}
