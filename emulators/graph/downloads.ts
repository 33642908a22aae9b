// Pre-authenticated download URLs (the 302 target of .../content and
// '@microsoft.graph.downloadUrl'): signed, short-lived, on the alternate host, needing no
// Authorization header. Signed rather than stored so that listing thousands of items costs nothing.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { GraphError } from './errors';

/** Microsoft documents these URLs as valid for a short time (about an hour). */
export const DOWNLOAD_URL_LIFETIME_MS = 3600_000;

export interface DownloadClaim {
  driveId: string;
  itemId: string;
  expiresAt: number;
}

export class DownloadLinks {
  private readonly key = randomBytes(32);

  constructor(private readonly now: () => number) {}

  token(driveId: string, itemId: string): string {
    const claim: DownloadClaim = { driveId, itemId, expiresAt: this.now() + DOWNLOAD_URL_LIFETIME_MS };
    const payload = Buffer.from(JSON.stringify(claim)).toString('base64url');
    return `${payload}.${this.sign(payload)}`;
  }

  /** The claim in a token; 401 when forged, 404 (as an expired link behaves) when too old. */
  verify(token: string): DownloadClaim {
    const [payload, signature] = token.split('.');
    const expected = payload ? this.sign(payload) : '';
    if (
      !signature ||
      signature.length !== expected.length ||
      !timingSafeEqual(Buffer.from(signature), Buffer.from(expected))
    ) {
      throw new GraphError(401, 'unauthenticated', 'The download link is not valid.');
    }
    const claim = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as DownloadClaim;
    if (this.now() >= claim.expiresAt)
      throw new GraphError(404, 'itemNotFound', 'The download link has expired.');
    return claim;
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url');
  }
}

export type ByteRange = { start: number; end: number } | 'unsatisfiable' | undefined;

/** Parses a single-range "Range: bytes=a-b | a- | -n" header against a size; undefined = whole file. */
export function parseRange(header: string | undefined, size: number): ByteRange {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  // Multiple ranges or other units: serve the whole file, which RFC 9110 allows.
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}
