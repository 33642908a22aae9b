// Turns a handler's HttpResult body into bytes and a content type, the same way for Azure and the
// local host: objects become JSON, strings and bytes pass through.
import type { HttpResult } from './types';

export interface SerializedBody {
  payload: Buffer;
  contentType?: string;
}

export function serializeBody(result: HttpResult): SerializedBody {
  const body = result.body;
  if (body === undefined || body === null) return { payload: Buffer.alloc(0) };
  if (Buffer.isBuffer(body)) return { payload: body, contentType: 'application/octet-stream' };
  if (body instanceof Uint8Array)
    return { payload: Buffer.from(body), contentType: 'application/octet-stream' };
  if (typeof body === 'string')
    return { payload: Buffer.from(body, 'utf8'), contentType: 'text/plain; charset=utf-8' };
  return {
    payload: Buffer.from(JSON.stringify(body), 'utf8'),
    contentType: 'application/json; charset=utf-8',
  };
}

/** Result headers with the body's content type added when the handler set none. */
export function resultHeaders(result: HttpResult, contentType?: string): Record<string, string> {
  const headers = { ...(result.headers ?? {}) };
  const hasType = Object.keys(headers).some((k) => k.toLowerCase() === 'content-type');
  if (!hasType && contentType) headers['content-type'] = contentType;
  return headers;
}
