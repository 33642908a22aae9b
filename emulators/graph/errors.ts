// Graph's error shape, {error: {code, message, innerError: {code?, date, request-id,
// client-request-id}}}, and the exception the drive logic throws to produce it. The top-level code
// is one of Graph's documented basic codes (clients branch on it); the optional detailed code goes
// in innerError, as https://learn.microsoft.com/graph/errors describes.
import { randomUUID } from 'node:crypto';
import type { EmulatorRequest, EmulatorResponse } from '../shared/server';

export class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly innerCode?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function errorResponse(error: GraphError, req?: Pick<EmulatorRequest, 'headers'>): EmulatorResponse {
  const requestId = randomUUID();
  const clientRequestId = headerValue(req, 'client-request-id') ?? requestId;
  return {
    status: error.status,
    headers: { 'request-id': requestId, 'client-request-id': clientRequestId, ...error.headers },
    body: {
      error: {
        code: error.code,
        message: error.message,
        innerError: {
          ...(error.innerCode ? { code: error.innerCode } : {}),
          date: new Date().toISOString().replace(/\.\d{3}Z$/, ''),
          'request-id': requestId,
          'client-request-id': clientRequestId,
        },
      },
    },
  };
}

function headerValue(req: Pick<EmulatorRequest, 'headers'> | undefined, name: string): string | undefined {
  const value = req?.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export const notFound = (what = 'The resource could not be found.'): GraphError =>
  new GraphError(404, 'itemNotFound', what);

export const invalidRequest = (message: string, innerCode?: string): GraphError =>
  new GraphError(400, 'invalidRequest', message, innerCode);

export const accessDenied = (message = 'Access denied'): GraphError =>
  new GraphError(403, 'accessDenied', message);
