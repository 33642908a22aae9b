// What a blob is besides its bytes: the five HTTP properties a reader sees (and the content type),
// user metadata, index tags and the last-modified time. A backup keeps them in its run index (the
// drive copy alone would lose them) and a restore puts back all of them but the last-modified time,
// which Blob storage sets itself on every write.
import type { ListedBlob } from './blobListing';

/** The blob's HTTP properties; an absent one is not set on the blob. */
export interface BlobHeaders {
  contentType?: string;
  contentEncoding?: string;
  contentLanguage?: string;
  cacheControl?: string;
  contentDisposition?: string;
}

export interface BlobFacts {
  properties: BlobHeaders;
  /** Keys as the listing returns them (case kept: a property read lowercases them). */
  metadata: Record<string, string>;
  tags: Record<string, string>;
  /** ISO time. */
  lastModified: string;
  /**
   * True when the listing could not read tags (the identity lacks the tags/read permission): the
   * tags are unknown, not empty, and a restore must say so instead of restoring none.
   */
  tagsUnread?: boolean;
}

const HEADER_KEYS = [
  'contentType',
  'contentEncoding',
  'contentLanguage',
  'cacheControl',
  'contentDisposition',
] as const satisfies ReadonlyArray<keyof BlobHeaders>;

/** Only the properties set (an empty string is set: Blob storage keeps it). */
export function blobHeaders(source: Partial<Record<keyof BlobHeaders, unknown>>): BlobHeaders {
  const out: BlobHeaders = {};
  for (const key of HEADER_KEYS) {
    const value = source[key];
    if (typeof value === 'string') out[key] = value;
  }
  return out;
}

/** The facts of a listed blob (listed with metadata and, when readable, tags). */
export function factsOfListed(blob: ListedBlob, tagsRead: boolean): BlobFacts {
  const facts: BlobFacts = {
    properties: blob.headers,
    metadata: blob.metadata,
    tags: blob.tags,
    lastModified: blob.lastModified.toISOString(),
  };
  if (!tagsRead) facts.tagsUnread = true;
  return facts;
}

const sortedJson = (value: Record<string, string | undefined>): string =>
  JSON.stringify(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** True when two descriptions say the same (key order aside). */
export function sameFacts(a: BlobFacts | undefined, b: BlobFacts | undefined): boolean {
  if (!a || !b) return a === b;
  return (
    a.lastModified === b.lastModified &&
    !!a.tagsUnread === !!b.tagsUnread &&
    sortedJson({ ...a.properties }) === sortedJson({ ...b.properties }) &&
    sortedJson(a.metadata) === sortedJson(b.metadata) &&
    sortedJson(a.tags) === sortedJson(b.tags)
  );
}

const isStringRecord = (value: unknown): value is Record<string, string> =>
  !!value &&
  typeof value === 'object' &&
  !Array.isArray(value) &&
  Object.values(value as object).every((v) => typeof v === 'string');

/** Facts read back from JSON (a manifest row, an index line); undefined when they are not facts. */
export function readFacts(value: unknown): BlobFacts | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.lastModified !== 'string' || !isStringRecord(v.metadata) || !isStringRecord(v.tags))
    return undefined;
  if (v.properties !== undefined && !isStringRecord(v.properties)) return undefined;
  const facts: BlobFacts = {
    properties: blobHeaders((v.properties ?? {}) as Record<string, unknown>),
    metadata: v.metadata,
    tags: v.tags,
    lastModified: v.lastModified,
  };
  if (v.tagsUnread === true) facts.tagsUnread = true;
  return facts;
}
