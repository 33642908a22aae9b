// Typed errors with stable codes. Each carries the advice a person needs; `httpStatus` and
// `alertSeverity` map them to HTTP and to alerts in this one place.

export type ErrorCode =
  | 'ValidationFailed'
  | 'NotFound'
  | 'Conflict'
  | 'Unauthorized'
  | 'ConfigInvalid'
  | 'StateInvalid'
  | 'ReauthRequired'
  | 'InvalidClient'
  | 'ConsentRequired'
  | 'QuotaExceeded'
  | 'SessionExpired'
  | 'Throttled'
  | 'Transient'
  | 'HashMismatch'
  | 'PathTooLong'
  | 'NameInvalid'
  | 'UpstreamError'
  | 'MessageInvalid'
  | 'EncryptionKeysMissing'
  | 'DecryptionFailed';

const HTTP_STATUS: Record<ErrorCode, number> = {
  ValidationFailed: 400,
  NotFound: 404,
  Conflict: 409,
  Unauthorized: 401,
  ConfigInvalid: 500,
  StateInvalid: 400,
  ReauthRequired: 409,
  InvalidClient: 502,
  ConsentRequired: 403,
  QuotaExceeded: 507,
  SessionExpired: 409,
  Throttled: 503,
  Transient: 503,
  HashMismatch: 502,
  PathTooLong: 400,
  NameInvalid: 400,
  UpstreamError: 502,
  MessageInvalid: 400,
  EncryptionKeysMissing: 500,
  DecryptionFailed: 422,
};

/** Errors that a retry can cure; everything else fails fast. */
const RETRYABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['Throttled', 'Transient', 'SessionExpired']);

export interface AppErrorOptions {
  /** What the person should do about it, in plain words. */
  advice?: string;
  /** The field or setting at fault, for validation errors. */
  field?: string;
  /** Upstream detail safe to show (never a token or secret). */
  detail?: string;
  /** Seconds to wait before retrying, when the server said so. */
  retryAfterSeconds?: number;
  cause?: unknown;
}

export class AppError extends Error {
  readonly advice?: string;
  readonly field?: string;
  readonly detail?: string;
  readonly retryAfterSeconds?: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: AppErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = code;
    this.advice = options.advice;
    this.field = options.field;
    this.detail = options.detail;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  get httpStatus(): number {
    return HTTP_STATUS[this.code];
  }

  get retryable(): boolean {
    return RETRYABLE.has(this.code);
  }

  /** The JSON an API returns for this error. */
  toJSON(): {
    error: { code: ErrorCode; message: string; field?: string; advice?: string; detail?: string };
  } {
    return {
      error: {
        code: this.code,
        message: this.message,
        field: this.field,
        advice: this.advice,
        detail: this.detail,
      },
    };
  }
}

export function validationError(field: string, rule: string): AppError {
  return new AppError('ValidationFailed', `${field}: ${rule}`, { field });
}

/**
 * Whether another delivery of the same work could succeed. Only the retryable codes (throttling,
 * a failed exchange, a lost session) can; every other typed error (a missing container or
 * snapshot, a refused consent, a full drive, an invalid name) says what a person must change, so
 * retrying it five times before the poison queue only hides the reason. Anything that is not an
 * AppError is a crash of unknown cause and counts as transient: the queue's retries are the
 * safety net for it.
 */
export function isPermanent(error: unknown): error is AppError {
  return error instanceof AppError && !error.retryable;
}

/** An error's message followed by what to do about it: the words a run record shows. */
export function messageWithAdvice(error: AppError): string {
  return error.advice ? `${error.message} ${error.advice}` : error.message;
}

export function isAppError(error: unknown, code?: ErrorCode): error is AppError {
  return error instanceof AppError && (code === undefined || error.code === code);
}
