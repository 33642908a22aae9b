// The backup source: one container of a storage account, optionally narrowed to a prefix.
// Lists in pages (the planner handles one page per queue message) and reads byte ranges, pinned
// to the ETag the planner saw, so a blob overwritten mid-upload is detected instead of producing
// a file that mixes two versions.

import { createHttpHeaders, createPipelineRequest, RestError } from '@azure/core-rest-pipeline';
import type { ContainerClient } from '@azure/storage-blob';
import { factsOfListed, type BlobFacts } from './blobFacts';
import { createBlobLister, type ListedBlob, type ListedPage } from './blobListing';
import { createContainerClient, SOURCE_RETRY, type SourceConnection } from './containerClient';
import { readAhead } from './readAhead';
import { intoBuffer, type BodyTarget } from './socketHttpClient';
import { isInvalidRange, SourceError, toSourceError } from './storageErrors';
import { SOURCE_SERVICE_VERSION, sourcePipeline, storageError } from './storagePipeline';
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

/** The first byte a 206's Content-Range names (`bytes 10-19/100`), or undefined. */
const rangeStart = (contentRange: string | undefined): number | undefined => {
  const start = /^bytes (\d+)-/.exec(contentRange ?? '')?.[1];
  return start === undefined ? undefined : Number(start);
};

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
  const pipeline = sourcePipeline(client, SOURCE_RETRY);

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
    // Into the caller's buffer (the upload engine's pooled chunk) or one of the range's length: each
    // piece the socket reads is copied once, straight to its place (socketHttpClient.ts).
    const body: BodyTarget = {
      target: into && into.length >= count ? into.subarray(0, count) : Buffer.allocUnsafe(count),
      filled: 0,
    };
    try {
      const headers = createHttpHeaders({
        'x-ms-version': SOURCE_SERVICE_VERSION,
        'x-ms-range': `bytes=${offset}-${offset + count - 1}`,
      });
      if (etag) headers.set('if-match', normalizeEtag(etag));
      // A body cut mid-way fails the exchange, and the storage retry policy sends the request again
      // (the whole range, pinned to the same ETag).
      const response = await pipeline.sendRequest(
        intoBuffer(body),
        createPipelineRequest({
          url: client.getBlobClient(name).url,
          method: 'GET',
          headers,
          abortSignal,
          // The endpoint was checked before the client was built (endpointPolicy); Azurite is http.
          allowInsecureConnection: true,
        }),
      );
      if (response.status !== 200 && response.status !== 206)
        throw storageError(
          'Get Blob',
          response.status,
          response.headers.get('x-ms-error-code'),
          response.bodyAsText ?? undefined,
        );
      // A range past the blob's end comes back shorter; one that starts elsewhere is not this read.
      if (response.status === 206 && rangeStart(response.headers.get('content-range')) !== offset)
        throw new RestError(`Get Blob answered a range that does not start at ${offset}`, {
          statusCode: 502,
        });
      return body.filled === count ? body.target : body.target.subarray(0, body.filled);
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
        throw new SourceError(
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
