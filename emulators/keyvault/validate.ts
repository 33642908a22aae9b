// Request validation with the service's limits ("About Azure Key Vault secrets" and "About keys,
// secrets and certificates"): names ^[0-9a-zA-Z-]{1,127}$, values up to 25,600 bytes, contentType up
// to 255 characters, at most 15 tags of 512-character names and values.
import { badParameter, invalidName } from './errors';
import type { NewSecret, SecretPatch } from './store';

export const MAX_VALUE_BYTES = 25 * 1024;
const NAME = /^[0-9a-zA-Z-]{1,127}$/;

export function checkName(raw: string): string {
  let name: string;
  try {
    name = decodeURIComponent(raw);
  } catch {
    throw invalidName(raw);
  }
  if (!NAME.test(name)) throw invalidName(name);
  return name;
}

export function parseJson(body: Buffer): Record<string, unknown> {
  if (body.length === 0) throw badParameter('The request body is required.');
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw badParameter('The request body is not valid JSON.');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw badParameter('The request body must be a JSON object.');
  return parsed as Record<string, unknown>;
}

export function parseNewSecret(body: Record<string, unknown>): NewSecret {
  const value = body.value;
  if (typeof value !== 'string') throw badParameter('Property value is required and must be a string.');
  // The service's wording for an oversized value is not published; the limit itself is.
  if (Buffer.byteLength(value, 'utf8') > MAX_VALUE_BYTES)
    throw badParameter(`Secret value exceeds the maximum size of ${MAX_VALUE_BYTES} bytes.`);
  return { value, ...parsePatch(body) };
}

export function parsePatch(body: Record<string, unknown>): SecretPatch {
  const patch: SecretPatch = {};
  if (body.contentType !== undefined && body.contentType !== null) {
    if (typeof body.contentType !== 'string' || body.contentType.length > 255)
      throw badParameter('Property contentType must be a string of at most 255 characters.');
    patch.contentType = body.contentType;
  }
  if (body.tags !== undefined && body.tags !== null) patch.tags = parseTags(body.tags);
  if (body.attributes !== undefined && body.attributes !== null)
    patch.attributes = parseAttributes(body.attributes);
  return patch;
}

function parseTags(tags: unknown): Record<string, string> {
  if (typeof tags !== 'object' || Array.isArray(tags)) throw badParameter('Property tags must be an object.');
  const entries = Object.entries(tags as Record<string, unknown>);
  if (entries.length > 15) throw badParameter('A secret can have at most 15 tags.');
  for (const [key, value] of entries) {
    if (typeof value !== 'string' || key.length > 512 || value.length > 512)
      throw badParameter('Tag names and values must be strings of at most 512 characters.');
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

function parseAttributes(raw: unknown): NonNullable<SecretPatch['attributes']> {
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw badParameter('Property attributes must be an object.');
  const input = raw as Record<string, unknown>;
  const out: NonNullable<SecretPatch['attributes']> = {};
  if (input.enabled !== undefined && input.enabled !== null) {
    if (typeof input.enabled !== 'boolean') throw badParameter('Property enabled must be a boolean.');
    out.enabled = input.enabled;
  }
  for (const key of ['nbf', 'exp'] as const) {
    const value = input[key];
    if (value === undefined || value === null) continue;
    // IntDate: whole Unix seconds.
    if (typeof value !== 'number' || !Number.isInteger(value))
      throw badParameter(`Property ${key} must be a Unix time in whole seconds.`);
    out[key] = value;
  }
  return out;
}

/** `maxresults` is 1-25 on the service; absent means 25. */
export function parseMaxResults(raw: string | null): number {
  if (raw === null || raw === '') return 25;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 25)
    throw badParameter('Invalid maxresults: it must be an integer between 1 and 25.');
  return n;
}
