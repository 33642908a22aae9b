// Request bodies of the admin API: one JSON object. One parser for every area, so every route
// answers a malformed body the same way (400, field `body`) and never echoes the body back: the
// parser's own message quotes the text, which may hold a secret.
import { validationError } from '../errors';

export function parseJsonObject(text: string): Record<string, unknown> {
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    throw validationError('body', 'a JSON object');
  }
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw validationError('body', 'a JSON object');
  return body as Record<string, unknown>;
}
