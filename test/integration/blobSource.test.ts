import { createHash, randomBytes } from 'node:crypto';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { createBlobSource } from '../../src/sources/blobSource';
import { closeIdleConnections } from '../../src/sources/socketHttpClient';
import type { BlobSource, SourceChunk, SourceItem } from '../../src/sources/types';
import { isAppError } from '../../src/errors';
import { azuriteConnectionString, uniqueName } from '../helpers/azurite';

const CHUNK = 64 * 1024; // small chunks keep the test fast; the logic does not depend on size

let container: ContainerClient;
let source: BlobSource;

async function put(name: string, data: Buffer): Promise<void> {
  const md5 = createHash('md5').update(data).digest();
  await container.getBlockBlobClient(name).uploadData(data, { blobHTTPHeaders: { blobContentMD5: md5 } });
}

async function listAll(src: BlobSource, pageSize: number): Promise<{ pages: number[]; items: SourceItem[] }> {
  const pages: number[] = [];
  const items: SourceItem[] = [];
  let token: string | undefined;
  do {
    const page = await src.listPage(token, pageSize);
    pages.push(page.items.length);
    items.push(...page.items);
    token = page.continuationToken;
  } while (token);
  return { pages, items };
}

async function collect(chunks: AsyncIterable<SourceChunk>): Promise<SourceChunk[]> {
  const out: SourceChunk[] = [];
  for await (const chunk of chunks) out.push(chunk);
  return out;
}

beforeAll(async () => {
  const name = uniqueName('source');
  container = BlobServiceClient.fromConnectionString(azuriteConnectionString()).getContainerClient(name);
  await container.create();
  source = createBlobSource({ connectionString: azuriteConnectionString(), container: name });
});

describe('listing the source', () => {
  it('pages through more blobs than one page holds, only under the prefix', async () => {
    const inside = Array.from({ length: 23 }, (_, i) => `paged/${String(i).padStart(2, '0')}.txt`);
    await Promise.all(
      [...inside, 'pagedx/not-me.txt', 'other/not-me.txt'].map((n) => put(n, Buffer.from(n))),
    );
    const prefixed = createBlobSource({
      connectionString: azuriteConnectionString(),
      container: container.containerName,
      prefix: 'paged/',
    });

    const { pages, items } = await listAll(prefixed, 10);
    expect(pages).toEqual([10, 10, 3]);
    expect(items.map((i) => i.name)).toEqual(inside);
    const first = items[0];
    expect(first.size).toBe(Buffer.byteLength('paged/00.txt'));
    expect(first.etag).toMatch(/^"0x[0-9A-F]+"$/i);
    expect(first.contentMd5).toBe(createHash('md5').update('paged/00.txt').digest('base64'));
    expect(first.lastModified).toBeInstanceOf(Date);
    // The listing and the properties call give the same ETag form, so the manifest can compare them.
    expect((await prefixed.properties(first.name)).etag).toBe(first.etag);
  });

  it('keeps names with Unicode and odd characters exactly, and reads them', async () => {
    const names = [
      'odd/ünïcödé/日本語 ファイル.txt',
      'odd/cafe\u0301.txt', // NFD, must not come back as NFC
      'odd/café.txt', // NFC, a different blob
      "odd/emoji 😀 #1 %20 & + = ; , @ $ ! ~ ' ( ).bin",
      'odd/colon:star*question?.txt',
      'odd/ leading and trailing .',
      'odd//double slash',
    ];
    for (const n of names) await put(n, Buffer.from(`content of ${n}`));
    const { items } = await listAll(
      createBlobSource({
        connectionString: azuriteConnectionString(),
        container: container.containerName,
        prefix: 'odd/',
      }),
      5000,
    );
    expect(items.map((i) => i.name).sort()).toEqual([...names].sort());
    for (const n of names) expect((await source.readRange(n, 0, 1000)).toString()).toBe(`content of ${n}`);
  });
});

describe('reading byte ranges', () => {
  const data = randomBytes(1000);
  beforeAll(() => put('ranges/blob.bin', data));

  it('returns exactly the requested range, shorter at the end, empty past the end', async () => {
    expect(await source.readRange('ranges/blob.bin', 100, 250)).toEqual(data.subarray(100, 350));
    expect(await source.readRange('ranges/blob.bin', 900, 500)).toEqual(data.subarray(900));
    expect((await source.readRange('ranges/blob.bin', 1000, 10)).length).toBe(0);
    expect((await source.readRange('ranges/blob.bin', 0, 0)).length).toBe(0);
  });

  it("writes into the caller's buffer when given one, and returns a view of it", async () => {
    const into = Buffer.alloc(400, 0xee);
    const read = await source.readRange('ranges/blob.bin', 100, 250, undefined, into);
    expect(read).toEqual(data.subarray(100, 350));
    expect(read.buffer).toBe(into.buffer);
    expect(read.byteOffset).toBe(into.byteOffset);
    expect(into.subarray(0, 250)).toEqual(data.subarray(100, 350));
  });

  it('refuses to read another version than the ETag given, with Conflict', async () => {
    const { etag } = await source.properties('ranges/blob.bin');
    expect((await source.readRange('ranges/blob.bin', 0, 10, etag)).length).toBe(10);
    const stale = '"0x8D000000000000"';
    const error = await source.readRange('ranges/blob.bin', 0, 10, stale).catch((e: unknown) => e);
    expect(isAppError(error, 'Conflict')).toBe(true);
    expect((error as Error).message).toMatch(/changed while it was being read/);
  });

  it('reports a missing blob as NotFound', async () => {
    const error = await source.properties('ranges/missing.bin').catch((e: unknown) => e);
    expect(isAppError(error, 'NotFound')).toBe(true);
    const read = await source.readRange('ranges/missing.bin', 0, 10).catch((e: unknown) => e);
    expect(isAppError(read, 'NotFound')).toBe(true);
  });

  it('a body cut mid-way is read again whole, pinned to the same ETag', async () => {
    // A proxy in front of Azurite answers the first range read with its head and part of its body,
    // then drops the connection: the storage retry policy must send the read again.
    const blob = new URL(/BlobEndpoint=([^;]+)/.exec(azuriteConnectionString())![1]);
    const seen: Array<{ ifMatch?: string; range?: string }> = [];
    let cut = 1;
    const proxy = createServer((req, res) => {
      seen.push({ ifMatch: req.headers['if-match'] as string, range: req.headers['x-ms-range'] as string });
      const upstream = request(
        { host: blob.hostname, port: blob.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          if (req.headers['x-ms-range'] && cut-- > 0) {
            answer.once('data', (piece: Buffer) => {
              res.write(piece.subarray(0, 100));
              res.socket?.destroy();
            });
            return;
          }
          answer.pipe(res);
        },
      );
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const through = createBlobSource({
        connectionString: azuriteConnectionString().replace(
          /BlobEndpoint=[^;]+/,
          `BlobEndpoint=http://127.0.0.1:${(proxy.address() as AddressInfo).port}${blob.pathname}`,
        ),
        container: container.containerName,
      });
      const { etag } = await source.properties('ranges/blob.bin');
      expect(await through.readRange('ranges/blob.bin', 0, 1000, etag)).toEqual(data);
      expect(seen).toEqual([
        { ifMatch: etag, range: 'bytes=0-999' },
        { ifMatch: etag, range: 'bytes=0-999' },
      ]);
    } finally {
      closeIdleConnections();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});

describe('reading a blob in chunks with read-ahead', () => {
  it.each([
    ['empty', 0],
    ['one byte', 1],
    ['one chunk less a byte', CHUNK - 1],
    ['exactly one chunk', CHUNK],
    ['one chunk and a byte', CHUNK + 1],
    ['several chunks and a tail', 3 * CHUNK + 7],
  ])('yields exactly the bytes, in order, for %s', async (_label, size) => {
    const data = randomBytes(size);
    const name = `chunks/${size}.bin`;
    await put(name, data);
    const { etag } = await source.properties(name);

    const chunks = await collect(source.openReader(name, { etag, chunkSize: CHUNK }));
    expect(chunks).toHaveLength(Math.ceil(size / CHUNK));
    expect(chunks.map((c) => c.offset)).toEqual(chunks.map((_, i) => i * CHUNK));
    expect(chunks.every((c) => c.data.length <= CHUNK)).toBe(true);
    expect(Buffer.concat(chunks.map((c) => c.data)).equals(data)).toBe(true);
  });

  it('resumes from a start offset with the size already known', async () => {
    const data = randomBytes(2 * CHUNK + 5);
    await put('chunks/resume.bin', data);
    const chunks = await collect(
      source.openReader('chunks/resume.bin', { chunkSize: CHUNK, startOffset: CHUNK, size: data.length }),
    );
    expect(chunks.map((c) => c.offset)).toEqual([CHUNK, 2 * CHUNK]);
    expect(Buffer.concat(chunks.map((c) => c.data)).equals(data.subarray(CHUNK))).toBe(true);
  });

  it('fails with Conflict when the blob changed since it was planned', async () => {
    await put('chunks/planned.bin', randomBytes(10));
    const { etag } = await source.properties('chunks/planned.bin');
    await put('chunks/planned.bin', randomBytes(10));
    const error = await collect(source.openReader('chunks/planned.bin', { etag, chunkSize: CHUNK })).catch(
      (e: unknown) => e,
    );
    expect(isAppError(error, 'Conflict')).toBe(true);
  });

  it('detects a blob overwritten in the middle of reading, instead of mixing two versions', async () => {
    const name = 'chunks/overwritten.bin';
    await put(name, randomBytes(6 * CHUNK));
    const { etag } = await source.properties(name);
    const seen: number[] = [];
    let overwritten = false;
    const reading = (async () => {
      for await (const chunk of source.openReader(name, { etag, chunkSize: CHUNK })) {
        seen.push(chunk.offset);
        if (!overwritten) {
          overwritten = true;
          await put(name, randomBytes(6 * CHUNK)); // same size, new content: only the ETag tells
        }
      }
    })();
    const error = await reading.catch((e: unknown) => e);
    expect(isAppError(error, 'Conflict')).toBe(true);
    // Chunk 1 may already have been read ahead from the old version; nothing after it is.
    expect(seen.length).toBeGreaterThanOrEqual(1);
    expect(seen.length).toBeLessThanOrEqual(2);
  });
});
