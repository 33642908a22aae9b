// The backup source: one container of a storage account, optionally narrowed to a prefix.
// Lists in pages (the planner handles one page per queue message) and reads byte ranges, pinned
// to the ETag the planner saw, so a blob overwritten mid-upload is detected instead of producing
// a file that mixes two versions.

import type { ContainerClient } from '@azure/storage-blob';
import { AppError } from '../errors';
import { factsOfListed, type BlobFacts } from './blobFacts';
import { createBlobLister, type ListedBlob, type ListedPage } from './blobListing';
import { createContainerClient, SOURCE_RETRY, type SourceConnection } from './containerClient';
import { readAhead } from './readAhead';
import { isInvalidRange, toSourceError } from './storageErrors';
import type { BlobSource, OpenReaderOptions, SourceChunk, SourceItem, SourcePage } from './types';

export interface BlobSourceOptions extends SourceConnection {
  prefix?: string;
}

/** The service's limit on one listing page. */
export const MAX_LIST_PAGE_SIZE = 5000;

/** ETags in listings come bare (0x8D...), in headers quoted; keep one form so comparisons work. */
export function normalizeEtag(etag: string): string {
  return etag.startsWith('"') || etag.startsWith('W/') ? etag : `"${etag}"`;
}

const md5Base64 = (md5: Uint8Array | undefined): string | undefined =>
  md5 && md5.length > 0 ? Buffer.from(md5).toString('base64') : undefined;

async function readBody(
  stream: NodeJS.ReadableStream | undefined,
  expected: number,
  into: Buffer | undefined,
): Promise<Buffer> {
  if (!stream) return Buffer.alloc(0);
  // Into the caller's buffer (the upload engine's pooled chunk) or one preallocated to the response
  // length: each socket piece is copied once, straight to its place, with no concatenation.
  const out = into && into.length >= expected ? into.subarray(0, expected) : Buffer.allocUnsafe(expected);
  let filled = 0;
  for await (const piece of stream as AsyncIterable<Buffer>) {
    if (filled + piece.length > expected)
      throw new Error(`Blob download returned more than the ${expected} bytes announced`);
    piece.copy(out, filled);
    filled += piece.length;
  }
  return filled === expected ? out : out.subarray(0, filled);
}

/**
 * Whether a listing's error refuses the index tags rather than the listing: a 403 (the identity
 * may read blobs but not tags), a 400 naming `include` as the bad parameter (accounts with a
 * hierarchical namespace, where blob index tags are not offered, and services older than tags),
 * or 409 FeatureNotEnabled (an account where the blob index feature is off).
 */
function refusesTags(error: unknown): boolean {
  const { statusCode, code, details } = error as {
    statusCode?: number;
    code?: string;
    details?: { queryParameterName?: string };
  };
  if (statusCode === 403) return true;
  if (statusCode === 400)
    return code === 'InvalidQueryParameterValue' && details?.queryParameterName?.toLowerCase() === 'include';
  return statusCode === 409 && code === 'FeatureNotEnabled';
}

export function createBlobSource(options: BlobSourceOptions): BlobSource {
  const client: ContainerClient = createContainerClient(options);
  const container = options.container;
  const prefix = options.prefix ?? '';
  // Reading tags needs its own permission (blobs/tags/read), which an identity allowed to read blobs
  // may lack. Refused once, the listing goes on without tags and every item says its tags were not
  // read: the backup still runs, and nothing later claims the blob had no tags.
  let tagsReadable = true;

  const list = createBlobLister(client, SOURCE_RETRY);

  async function firstPage(
    listPrefix: string | undefined,
    marker: string | undefined,
    pageSize: number,
  ): Promise<{ page: ListedPage; tagsRead: boolean }> {
    for (;;) {
      const tagsRead = tagsReadable;
      try {
        const page = await list({ prefix: listPrefix, marker, maxResults: pageSize, includeTags: tagsRead });
        return { page, tagsRead };
      } catch (error) {
        if (!tagsRead || !refusesTags(error)) throw error;
        tagsReadable = false;
      }
    }
  }

  const toItem = (blob: ListedBlob, tagsRead: boolean): SourceItem & { facts: BlobFacts } => ({
    name: blob.name,
    size: blob.contentLength ?? 0,
    etag: normalizeEtag(blob.etag),
    contentMd5: blob.contentMd5,
    lastModified: blob.lastModified,
    facts: factsOfListed(blob, tagsRead),
  });

  async function listPage(continuationToken: string | undefined, pageSize: number): Promise<SourcePage> {
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_LIST_PAGE_SIZE)
      throw new RangeError(`pageSize must be 1-${MAX_LIST_PAGE_SIZE}, got ${pageSize}`);
    try {
      const { page, tagsRead } = await firstPage(prefix, continuationToken, pageSize);
      const items: SourceItem[] = page.blobs.map((blob) => toItem(blob, tagsRead));
      return page.nextMarker ? { items, continuationToken: page.nextMarker } : { items };
    } catch (error) {
      throw toSourceError(error, { container });
    }
  }

  async function describe(name: string): Promise<SourceItem & { facts: BlobFacts }> {
    try {
      // A listing sorts names, so the blob itself (the shortest name with this prefix) comes first.
      const { page, tagsRead } = await firstPage(name, undefined, 1);
      const blob = page.blobs[0];
      if (blob?.name === name) return toItem(blob, tagsRead);
    } catch (error) {
      throw toSourceError(error, { container, name });
    }
    throw toSourceError({ statusCode: 404, code: 'BlobNotFound' }, { container, name });
  }

  async function properties(name: string): Promise<SourceItem> {
    try {
      const p = await client.getBlobClient(name).getProperties();
      return {
        name,
        size: p.contentLength ?? 0,
        etag: normalizeEtag(p.etag ?? ''),
        contentMd5: md5Base64(p.contentMD5),
        lastModified: p.lastModified ?? new Date(0),
      };
    } catch (error) {
      throw toSourceError(error, { container, name });
    }
  }

  async function readRange(
    name: string,
    offset: number,
    count: number,
    etag?: string,
    into?: Buffer,
    abortSignal?: AbortSignal,
  ): Promise<Buffer> {
    if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(count) || count < 0)
      throw new RangeError(`Invalid range: offset ${offset}, count ${count}`);
    if (count === 0) return Buffer.alloc(0);
    try {
      const response = await client.getBlobClient(name).download(offset, count, {
        conditions: etag ? { ifMatch: normalizeEtag(etag) } : undefined,
        abortSignal,
        // Resumes a body cut mid-stream (the SDK pins the retry to the same ETag).
        maxRetryRequests: 3,
      });
      return await readBody(response.readableStreamBody, response.contentLength ?? count, into);
    } catch (error) {
      // Reading at or past the end returns nothing, like a file read at EOF.
      if (isInvalidRange(error)) return Buffer.alloc(0);
      throw toSourceError(error, { container, name, etag });
    }
  }

  async function* openReader(name: string, reader: OpenReaderOptions): AsyncGenerator<SourceChunk> {
    let { etag, size } = reader;
    if (size === undefined) {
      const props = await properties(name);
      if (etag && normalizeEtag(etag) !== props.etag)
        throw new AppError(
          'Conflict',
          `The blob "${name}" in container "${container}" changed since it was planned (ETag ${etag}, now ${props.etag}).`,
          {
            advice: 'The file will be backed up again on the next run, from its new version.',
          },
        );
      size = props.size;
      // Pin every chunk to the version just measured, so all chunks come from one version.
      etag = props.etag;
    }
    yield* readAhead((offset, count, signal) => readRange(name, offset, count, etag, undefined, signal), {
      size,
      chunkSize: reader.chunkSize,
      startOffset: reader.startOffset,
      abortSignal: reader.abortSignal,
    });
  }

  return { container, prefix, listPage, readRange, openReader, properties, describe };
}
