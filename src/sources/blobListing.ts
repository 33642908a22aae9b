// One page of a container's blobs: one List Blobs request, its XML read by a streaming parser into
// the few fields a backup uses.
//
// Why not the SDK's listBlobsFlat: for a page of 1,000 blobs with metadata and tags (766 KB of XML)
// it spent about 210 ms of CPU on this machine (fast-xml-parser validates the document, parses it
// again into a tree, then core-client's mapper walks every property of every blob), while the
// request itself took about 10 ms and saxes reads the same XML in about 17 ms. An unchanged rerun
// does little but list, so that parse was most of its time. The request still goes through the
// Azure SDK's own pipeline pieces: the storage retry policy with the source's bounds, and the
// credential the ContainerClient was built with (shared key, SAS in the URL, or a token).
import { createHttpHeaders, createPipelineRequest } from '@azure/core-rest-pipeline';
import type { ContainerClient } from '@azure/storage-blob';
import { getCachedDefaultHttpClient, type StorageRetryOptions } from '@azure/storage-common';
import { SaxesParser } from 'saxes';
import { blobHeaders, type BlobHeaders } from './blobFacts';
import { SOURCE_SERVICE_VERSION, sourcePipeline, storageError } from './storagePipeline';

export interface ListedBlob {
  name: string;
  contentLength?: number;
  etag: string;
  /** Base64, as the listing gives it; undefined when the blob has none. */
  contentMd5?: string;
  lastModified: Date;
  headers: BlobHeaders;
  metadata: Record<string, string>;
  tags: Record<string, string>;
}

export interface ListedPage {
  blobs: ListedBlob[];
  /** The marker of the next page; undefined on the last. */
  nextMarker?: string;
}

export interface ListQuery {
  prefix?: string;
  marker?: string;
  maxResults: number;
  includeTags: boolean;
}

export type BlobLister = (query: ListQuery) => Promise<ListedPage>;

function listUrl(base: string, query: ListQuery): string {
  const url = new URL(base);
  // encodeURIComponent, not URLSearchParams: the service reads '+' in a query as a plus sign.
  const params = [
    'restype=container',
    'comp=list',
    `include=${query.includeTags ? 'metadata,tags' : 'metadata'}`,
    `maxresults=${query.maxResults}`,
  ];
  if (query.prefix) params.push(`prefix=${encodeURIComponent(query.prefix)}`);
  if (query.marker) params.push(`marker=${encodeURIComponent(query.marker)}`);
  url.search = url.search ? `${url.search}&${params.join('&')}` : `?${params.join('&')}`;
  return url.toString();
}

export function createBlobLister(client: ContainerClient, retry: StorageRetryOptions): BlobLister {
  const pipeline = sourcePipeline(client, retry);
  return async (query) => {
    // The HTTP client (and its keep-alive connections) the storage SDK's own clients share.
    const response = await pipeline.sendRequest(
      getCachedDefaultHttpClient(),
      createPipelineRequest({
        url: listUrl(client.url, query),
        method: 'GET',
        headers: createHttpHeaders({ 'x-ms-version': SOURCE_SERVICE_VERSION, accept: 'application/xml' }),
        // The endpoint was checked before the client was built (endpointPolicy); Azurite is http.
        allowInsecureConnection: true,
      }),
    );
    if (response.status !== 200)
      throw storageError(
        'List Blobs',
        response.status,
        response.headers.get('x-ms-error-code'),
        response.bodyAsText ?? undefined,
      );
    return parseListing(response.bodyAsText ?? '');
  };
}

interface BlobInProgress {
  name?: string;
  nameEncoded: boolean;
  properties: Record<string, string>;
  metadata: Record<string, string>;
  tags: Record<string, string>;
  tagKey?: string;
  tagValue?: string;
}

function finished(blob: BlobInProgress): ListedBlob {
  if (blob.name === undefined) throw new Error('List Blobs answered a blob without a name');
  const p = blob.properties;
  const length = p['Content-Length'];
  return {
    // Names the XML cannot carry come percent-encoded (as the SDK decodes them).
    name: blob.nameEncoded ? decodeURIComponent(blob.name) : blob.name,
    contentLength: length ? Number(length) : undefined,
    etag: p.Etag ?? '',
    contentMd5: p['Content-MD5'] || undefined,
    lastModified: new Date(p['Last-Modified'] ?? 0),
    headers: blobHeaders({
      contentType: p['Content-Type'],
      contentEncoding: p['Content-Encoding'],
      contentLanguage: p['Content-Language'],
      cacheControl: p['Cache-Control'],
      contentDisposition: p['Content-Disposition'],
    }),
    metadata: blob.metadata,
    tags: blob.tags,
  };
}

/**
 * Reads a List Blobs answer (EnumerationResults › Blobs › Blob › Name, Properties, Metadata,
 * Tags › TagSet › Tag › Key/Value, and NextMarker). Anything else is skipped, so fields a later
 * service version adds change nothing. A document that is not well-formed XML throws.
 */
export function parseListing(xml: string): ListedPage {
  const parser = new SaxesParser();
  const path: string[] = [];
  const blobs: ListedBlob[] = [];
  let blob: BlobInProgress | undefined;
  let text = '';
  let nextMarker: string | undefined;
  let sawRoot = false;
  parser.on('opentag', (tag) => {
    path.push(tag.name);
    text = '';
    if (path.length === 1) sawRoot = tag.name === 'EnumerationResults';
    else if (path.length === 3 && tag.name === 'Blob' && path[1] === 'Blobs')
      blob = { nameEncoded: false, properties: {}, metadata: {}, tags: {} };
    else if (path.length === 4 && blob && tag.name === 'Name')
      blob.nameEncoded = tag.attributes.Encoded === 'true';
  });
  parser.on('text', (chunk) => void (text += chunk));
  parser.on('cdata', (chunk) => void (text += chunk));
  parser.on('closetag', (tag) => {
    const depth = path.length;
    const parent = path[depth - 2];
    if (depth === 2 && tag.name === 'NextMarker') nextMarker = text || undefined;
    else if (blob && depth === 3 && tag.name === 'Blob') {
      blobs.push(finished(blob));
      blob = undefined;
    } else if (blob && depth === 4 && tag.name === 'Name') blob.name = text;
    else if (blob && depth === 5 && parent === 'Properties') blob.properties[tag.name] = text;
    else if (blob && depth === 5 && parent === 'Metadata') blob.metadata[tag.name] = text;
    else if (blob && depth === 7 && parent === 'Tag') {
      if (tag.name === 'Key') blob.tagKey = text;
      else if (tag.name === 'Value') blob.tagValue = text;
    } else if (blob && depth === 6 && tag.name === 'Tag') {
      if (blob.tagKey !== undefined) blob.tags[blob.tagKey] = blob.tagValue ?? '';
      blob.tagKey = blob.tagValue = undefined;
    }
    path.pop();
    text = '';
  });
  parser.write(xml).close();
  if (!sawRoot) throw new Error('List Blobs answered something other than EnumerationResults');
  return nextMarker ? { blobs, nextMarker } : { blobs };
}
