// Turns one raw setting string into a typed value, or says what the setting expects. Pure: no
// environment, no defaults, no modes; ./load.ts decides which strings reach here.
import { parseSchedule } from './ncrontab';
import { CHUNK_UNIT_BYTES, isValidChunkSize } from './chunkSize';
import type { SettingSpec } from './settings';

export type SettingValue = string | number | boolean | readonly number[];

export type ParseResult = { ok: true; value: SettingValue } | { ok: false; expected: string };

const INTEGER = /^[+-]?\d+$/;
const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

function bounds(spec: SettingSpec): string {
  if (spec.min !== undefined && spec.max !== undefined) return ` from ${spec.min} to ${spec.max}`;
  if (spec.min !== undefined) return ` of at least ${spec.min}`;
  if (spec.max !== undefined) return ` of at most ${spec.max}`;
  return '';
}

function parseInteger(raw: string, spec: SettingSpec): number | undefined {
  if (!INTEGER.test(raw)) return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) return undefined;
  if (spec.min !== undefined && value < spec.min) return undefined;
  if (spec.max !== undefined && value > spec.max) return undefined;
  return value;
}

/** What a setting of this spec accepts, in words a person can act on. */
export function expectation(spec: SettingSpec, httpsOnly = false): string {
  switch (spec.type) {
    case 'string':
      return 'a non-empty string';
    case 'url':
      return httpsOnly ? 'an absolute https:// URL' : 'an absolute http:// or https:// URL';
    case 'integer':
      return spec.name === 'UPLOAD_CHUNK_BYTES'
        ? `an integer${bounds(spec)} that is a multiple of ${CHUNK_UNIT_BYTES} (320 KiB)`
        : `an integer${bounds(spec)}`;
    case 'boolean':
      return 'true or false';
    case 'enum':
      return `one of ${(spec.values ?? []).join(', ')}`;
    case 'ncrontab':
      return 'a 6-field NCRONTAB expression "{second} {minute} {hour} {day} {month} {day-of-week}", e.g. "0 */5 * * * *"';
    case 'integer-list':
      return `a comma-separated list of integers, each${bounds(spec) || ' any value'}`;
  }
}

export function parseSetting(raw: string, spec: SettingSpec, httpsOnly = false): ParseResult {
  const fail = (): ParseResult => ({ ok: false, expected: expectation(spec, httpsOnly) });
  switch (spec.type) {
    case 'string':
      return raw.length > 0 ? { ok: true, value: raw } : fail();
    case 'url': {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        return fail();
      }
      const allowed = httpsOnly ? ['https:'] : ['http:', 'https:'];
      return allowed.includes(url.protocol) ? { ok: true, value: raw } : fail();
    }
    case 'integer': {
      const value = parseInteger(raw, spec);
      if (value === undefined) return fail();
      if (spec.name === 'UPLOAD_CHUNK_BYTES' && !isValidChunkSize(value)) return fail();
      return { ok: true, value };
    }
    case 'boolean': {
      const lower = raw.toLowerCase();
      if (TRUE.has(lower)) return { ok: true, value: true };
      if (FALSE.has(lower)) return { ok: true, value: false };
      return fail();
    }
    case 'enum':
      return spec.values?.includes(raw) ? { ok: true, value: raw } : fail();
    case 'ncrontab':
      return isNcrontab(raw) ? { ok: true, value: raw } : fail();
    case 'integer-list': {
      const items = raw.split(',').map((item) => item.trim());
      const values = items.map((item) => parseInteger(item, spec));
      if (values.some((v) => v === undefined)) return fail();
      return { ok: true, value: Object.freeze(values as number[]) };
    }
  }
}

/** True for an expression Azure Functions' timer trigger accepts, by the rules jobs' schedules use too. */
export function isNcrontab(expression: string): boolean {
  try {
    parseSchedule(expression);
    return true;
  } catch {
    return false;
  }
}
