// The function key (this tab's session storage only) and the admin API call that sends it.
const KEY_NAME = 'azure-onedrive-backup.functionKey';

// The page is served at <prefix>/ui; the admin API lives beside it under <prefix>/.
export const API_BASE = location.pathname.replace(/\/ui\/?$/, '/');

export function getKey(): string {
  try {
    return sessionStorage.getItem(KEY_NAME) || '';
  } catch {
    return '';
  }
}
export function setKey(key: string): void {
  sessionStorage.setItem(KEY_NAME, key);
}
export function clearKey(): void {
  sessionStorage.removeItem(KEY_NAME);
}

/** A failed call, with the API's {error: {code, message, advice, field}} when it sent one. */
export class ApiError extends Error {
  status?: number;
  code?: string;
  advice?: string;
  field?: string;
}

/** A refused key is already handled (the prompt is back): callers show nothing more for it. */
export function isKeyRefusal(error: unknown): boolean {
  return error instanceof ApiError && error.status === 401;
}

// Set by the start-up code; kept as a hook so this module needs nothing of the page around it.
let keyRefusedHandler: () => void = () => undefined;
export function onKeyRefused(handler: () => void): void {
  keyRefusedHandler = handler;
}

interface ErrorBody {
  error?: { code?: string; message?: string; advice?: string; field?: string };
}

/** Resolves with the JSON body (null when empty); rejects with an ApiError. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const key = getKey();
  if (!key) {
    // Nothing to send (the key was forgotten meanwhile): a quiet refusal, never a refused-key notice.
    const none = new ApiError('No function key has been entered.');
    none.status = 401;
    throw none;
  }
  const headers: Record<string, string> = { 'x-functions-key': key };
  const init: RequestInit = { method, headers, cache: 'no-store', credentials: 'omit' };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response: Response;
  try {
    response = await fetch(API_BASE + path, init);
  } catch {
    const offline = new ApiError('The function app could not be reached.');
    offline.advice = 'Check that it is running and that this computer is online, then try again.';
    throw offline;
  }
  const text = await response.text();
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const detail = (data as ErrorBody | null)?.error || {};
    const error = new ApiError(detail.message || 'The request failed (HTTP ' + response.status + ').');
    error.status = response.status;
    error.code = detail.code;
    error.advice = detail.advice;
    error.field = detail.field;
    if (response.status === 401) keyRefusedHandler();
    throw error;
  }
  return data as T;
}

export function enc(value: string): string {
  return encodeURIComponent(value);
}
