// Maps any error a handler throws to the HTTP result a client sees, in one place: AppErrors keep
// their status, code and advice; anything else becomes a 500 that reveals nothing internal.
import { isAppError } from '../errors';
import type { Logger } from '../log/logger';
import { jsonResult, type HttpResult } from './types';

export function errorResult(error: unknown, log?: Logger): HttpResult {
  if (isAppError(error)) {
    if (error.httpStatus >= 500) log?.error('http.error', { errorCode: error.code, error });
    else log?.info('http.rejected', { errorCode: error.code, message: error.message });
    return jsonResult(error.httpStatus, error.toJSON());
  }
  log?.error('http.unhandled', { error });
  return jsonResult(500, {
    error: { code: 'InternalError', message: 'The server failed to handle the request.' },
  });
}
