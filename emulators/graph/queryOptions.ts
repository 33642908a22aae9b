// OData query options on driveItems, as Graph applies them: $select trims each item to the named
// properties (nothing else, not even id: a client that needs it must ask), $expand=children
// inlines a folder's children,
// $top bounds a page. Links the service builds (@odata.nextLink, @odata.deltaLink) use the scheme
// and host the client called, as a real service answers under whatever name it was reached by.
import type { EmulatorRequest } from '../shared/server';
import { invalidRequest } from './errors';

export const DEFAULT_PAGE = 200;
export const MAX_PAGE = 1000;

/** The properties $select asks for, or undefined when every property is wanted. */
export function selectedProperties(req: EmulatorRequest): Set<string> | undefined {
  const raw = req.query.get('$select');
  if (raw === null) return undefined;
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0) throw invalidRequest('$select names no property.', 'invalidQueryOption');
  return new Set(names);
}

/** An item trimmed to `selected`. */
export function applySelect(
  item: Record<string, unknown>,
  selected: Set<string> | undefined,
): Record<string, unknown> {
  if (!selected) return item;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(item)) if (selected.has(key)) out[key] = value;
  return out;
}

/**
 * Which navigation properties $expand asks for. Only `children` is modelled; others Graph offers
 * (thumbnails, permissions, versions, listItem) are refused rather than silently ignored.
 */
export function expandsChildren(req: EmulatorRequest): boolean {
  const raw = req.query.get('$expand');
  if (raw === null) return false;
  const names = raw.split(',').map((s) => s.trim().replace(/\(.*\)$/, ''));
  for (const name of names) {
    if (name !== 'children') {
      throw invalidRequest(`$expand=${name} is not supported by this emulator.`, 'invalidQueryOption');
    }
  }
  return true;
}

export function pageSize(req: EmulatorRequest): number {
  const topParam = req.query.get('$top');
  const top = topParam === null ? DEFAULT_PAGE : Number(topParam);
  if (!Number.isInteger(top) || top < 1 || top > MAX_PAGE) {
    throw invalidRequest(`$top must be an integer from 1 to ${MAX_PAGE}.`, 'invalidQueryOption');
  }
  return top;
}

/** `https://host:port` exactly as the client addressed this server. */
export function calledOrigin(req: EmulatorRequest): string {
  return req.url.origin;
}

/** A link to `path` on the host the client called, with `query`. */
export function linkTo(req: EmulatorRequest, path: string, query: URLSearchParams): string {
  return `${calledOrigin(req)}${path}?${query.toString()}`;
}

/** An opaque paging or delta token: a kind letter and numbers, base64url so clients treat it as opaque. */
export function encodeToken(kind: string, numbers: readonly number[]): string {
  return Buffer.from([kind, ...numbers].join(':')).toString('base64url');
}

/** The `count` numbers of a token made by encodeToken with `kind`; 400 invalidQueryOption otherwise. */
export function decodeToken(token: string, kind: string, count: number, what: string): number[] {
  const parts = Buffer.from(token, 'base64url').toString('utf8').split(':');
  const numbers = parts.slice(1).map(Number);
  if (
    parts[0] !== kind ||
    numbers.length !== count ||
    !numbers.every((n) => Number.isSafeInteger(n) && n >= 0)
  ) {
    throw invalidRequest(`Invalid ${what}.`, 'invalidQueryOption');
  }
  return numbers;
}
