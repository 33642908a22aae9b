// Graph failures as typed errors, the one mapping every caller uses. Only the status, Graph's error
// code and its message are kept: never request content, a URL (upload and download URLs are
// credentials) or a token.
//
//   401 (after the one token refresh)  Unauthorized     the token is refused: test, then re-authorize
//   403 (accessDenied and the like)    ConsentRequired  a permission or admin consent is missing, or
//                                                       the account may not write there
//   404                                NotFound         advice depends on the caller (`notFoundAdvice`)
//   409                                Conflict
//   507, or code quotaLimitReached     QuotaExceeded    the drive is full: never retried
//   429, 503                           Throttled        retryable, with the server's Retry-After
//   other 5xx, no answer at all        Transient        retryable
//   anything else                      UpstreamError
import { AppError } from '../errors';

/** One failed exchange; `status` undefined when no answer arrived. */
export interface GraphFailure {
  status?: number;
  code?: string;
  message?: string;
  retryAfterMs?: number;
}

export interface GraphFailureOptions {
  /** What a person should do about a 404 here (the default suits browsing and backups). */
  notFoundAdvice?: string;
}

const DEFAULT_NOT_FOUND_ADVICE =
  'Check the drive, site or folder still exists and the signed-in account can see it.';

export function graphFailureToError(
  failure: GraphFailure,
  what: string,
  options: GraphFailureOptions = {},
): AppError {
  const { status, code } = failure;
  const detail = `${status ?? 'network error'}${code ? ` ${code}` : ''}${failure.message ? `: ${failure.message}` : ''}`;
  if (status === 507 || code === 'quotaLimitReached')
    return new AppError('QuotaExceeded', `${what}: the drive is full.`, {
      detail,
      advice:
        'Free space in the OneDrive or SharePoint library (or raise its quota), then run the job again.',
    });
  if (status === 401)
    return new AppError('Unauthorized', `${what}: Graph refused the connection's access.`, {
      detail,
      advice: 'Test the connection; re-authorize it if the test fails.',
    });
  if (status === 403)
    return new AppError('ConsentRequired', `${what}: the connection lacks permission here.`, {
      detail,
      advice:
        'Check the granted permissions (Files.ReadWrite.All, Sites.Read.All for SharePoint, with admin consent for work accounts) and that the account can write to this location.',
    });
  if (status === 404)
    return new AppError('NotFound', `${what}: not found.`, {
      detail,
      advice: options.notFoundAdvice ?? DEFAULT_NOT_FOUND_ADVICE,
    });
  if (status === 409) return new AppError('Conflict', `${what}: conflict.`, { detail });
  if (status === 429 || status === 503)
    return new AppError('Throttled', `${what}: Graph is throttling.`, {
      detail,
      retryAfterSeconds:
        failure.retryAfterMs === undefined ? undefined : Math.ceil(failure.retryAfterMs / 1000),
    });
  if (status === undefined || status >= 500)
    return new AppError('Transient', `${what}: Graph did not answer properly.`, { detail });
  return new AppError('UpstreamError', `${what}: Graph answered ${status}.`, { detail });
}
