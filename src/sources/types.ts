// The backup source as the rest of the app sees it: list a page, read bytes. Behind this
// interface sits @azure/storage-blob (blobSource.ts); tests and the planner can use fakes.
import type { BlobFacts } from './blobFacts';

/** One blob as listed, with what the manifest compares to decide whether it changed. */
export interface SourceItem {
  name: string;
  size: number;
  /** Always in the quoted form the service sends in headers ("0x8D..."). */
  etag: string;
  /** Base64 MD5 of the whole blob, when the service has one (not for blobs uploaded in blocks without it). */
  contentMd5?: string;
  lastModified: Date;
  /** Properties, metadata and tags, as the listing gave them (./blobFacts.ts). */
  facts?: BlobFacts;
}

export interface SourcePage {
  items: SourceItem[];
  /** Present when more pages follow; opaque, safe to carry in a queue message. */
  continuationToken?: string;
}

export interface SourceChunk {
  offset: number;
  data: Buffer;
}

export interface OpenReaderOptions {
  /** The ETag the reading must see; a blob changed since then fails with Conflict. */
  etag?: string;
  chunkSize: number;
  startOffset?: number;
  /** The blob's size when known (saves one request); read from the blob otherwise. */
  size?: number;
  abortSignal?: AbortSignal;
}

export interface BlobSource {
  readonly container: string;
  readonly prefix: string;
  listPage(continuationToken: string | undefined, pageSize: number): Promise<SourcePage>;
  /**
   * Bytes [offset, offset+count), pinned to `etag` when given. With `into` (at least `count` bytes)
   * the bytes are written there and a view of it is returned, so a caller can reuse its buffers.
   */
  readRange(name: string, offset: number, count: number, etag?: string, into?: Buffer): Promise<Buffer>;
  openReader(name: string, options: OpenReaderOptions): AsyncIterable<SourceChunk>;
  properties(name: string): Promise<SourceItem>;
  /**
   * One blob as a listing describes it (size, ETag and its facts: metadata keys in their own case,
   * tags): one request, like `properties`, which cannot give either. NotFound when it is gone.
   */
  describe(name: string): Promise<SourceItem & { facts: BlobFacts }>;
}
