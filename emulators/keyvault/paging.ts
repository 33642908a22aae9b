// List paging in the service's shape: `{value: [...], nextLink}` where nextLink is an absolute URL
// carrying api-version, an opaque `$skiptoken` and maxresults, and is null on the last page.
import { badParameter } from './errors';
import { parseMaxResults } from './validate';

export interface Page<T> {
  value: T[];
  nextLink: string | null;
}

function encodeToken(offset: number): string {
  return Buffer.from(JSON.stringify({ NextMarker: offset }), 'utf8').toString('base64url');
}

function decodeToken(token: string): number {
  try {
    const offset = (JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { NextMarker?: unknown })
      .NextMarker;
    if (typeof offset === 'number' && Number.isInteger(offset) && offset >= 0) return offset;
  } catch {
    // fall through to the error below
  }
  throw badParameter('The $skiptoken is invalid.');
}

/** One page of `items` for a request to `listUrl` (origin + path) with its query. */
export function paginate<T>(
  items: T[],
  listUrl: string,
  query: URLSearchParams,
  apiVersion: string,
): Page<T> {
  const max = parseMaxResults(query.get('maxresults'));
  const token = query.get('$skiptoken');
  const offset = token ? decodeToken(token) : 0;
  const value = items.slice(offset, offset + max);
  const next = offset + max;
  if (next >= items.length) return { value, nextLink: null };
  const params = new URLSearchParams({
    'api-version': apiVersion,
    $skiptoken: encodeToken(next),
    maxresults: String(max),
  });
  return { value, nextLink: `${listUrl}?${params.toString()}` };
}
