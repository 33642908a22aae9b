// Storage SDK errors → AppError, so callers see stable codes with advice instead of RestErrors.

import { AppError } from '../errors';

interface StorageErrorShape {
  statusCode?: number;
  code?: string;
  details?: { errorCode?: string };
  name?: string;
  message?: string;
}

/**
 * An error about the source blob or container, not the destination: a blob deleted or changed
 * during a backup reads as that only when the error says it came from the source (a Graph 404 or
 * 409 is not the blob's doing).
 */
export class SourceError extends AppError {}

export interface BlobContext {
  container: string;
  name?: string;
  etag?: string;
}

function storageCode(error: StorageErrorShape): string | undefined {
  return error.details?.errorCode ?? error.code;
}

/** True when the service said the requested range starts at or beyond the blob's end. */
export function isInvalidRange(error: unknown): boolean {
  const e = error as StorageErrorShape;
  return e?.statusCode === 416 || storageCode(e) === 'InvalidRange';
}

export function toSourceError(error: unknown, context: BlobContext): AppError {
  if (error instanceof AppError) return error;
  const e = (error ?? {}) as StorageErrorShape;
  const where = context.name
    ? `blob "${context.name}" in container "${context.container}"`
    : `container "${context.container}"`;
  const code = storageCode(e);
  const detail = code ? `${e.statusCode ?? ''} ${code}`.trim() : e.message?.slice(0, 200);
  if (e.statusCode === 412 || code === 'ConditionNotMet')
    return new SourceError(
      'Conflict',
      `The ${where} changed while it was being read (its ETag is no longer ${context.etag}).`,
      {
        detail,
        cause: error,
        advice: 'The file will be backed up again on the next run, from its new version.',
      },
    );
  if (e.statusCode === 404)
    return new SourceError('NotFound', `The ${where} was not found${code ? ` (${code})` : ''}.`, {
      detail,
      cause: error,
      advice:
        'Check the job source (account, container and prefix); a blob deleted after planning is skipped next run.',
    });
  if (e.statusCode === 401 || e.statusCode === 403)
    return new SourceError('Unauthorized', `Access to the ${where} was refused.`, {
      detail,
      cause: error,
      advice:
        "Give the app's managed identity the Storage Blob Data Reader role on the source storage account.",
    });
  if (e.name === 'AbortError')
    return new SourceError('Transient', `Reading the ${where} was cancelled.`, { cause: error });
  if (e.statusCode === undefined || e.statusCode === 408 || e.statusCode === 429 || e.statusCode >= 500)
    return new SourceError('Transient', `Reading the ${where} failed: ${e.message ?? 'network error'}.`, {
      detail,
      cause: error,
    });
  return new SourceError('UpstreamError', `Blob storage refused a request for the ${where}.`, {
    detail,
    cause: error,
  });
}
