// The source's own List Blobs reader against the storage SDK's listBlobsFlat, on the same Azurite
// container: every item (name, size, ETag, MD5, time, HTTP properties, metadata, tags) and every
// page marker must come out the same, so a manifest written by the SDK's listing still compares
// equal. Then what only the wire shows: the service version sent, each kind of credential, errors.
// The answer's format: "List Blobs" (https://learn.microsoft.com/rest/api/storageservices/list-blobs).
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders, Server } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import {
  BlobServiceClient,
  ContainerClient,
  ContainerSASPermissions,
  type BlobItem,
} from '@azure/storage-blob';
import { isAppError } from '../../src/errors';
import { blobHeaders } from '../../src/sources/blobFacts';
import { createBlobLister } from '../../src/sources/blobListing';
import { SOURCE_SERVICE_VERSION } from '../../src/sources/storagePipeline';
import { createBlobSource, normalizeEtag } from '../../src/sources/blobSource';
import { SOURCE_RETRY } from '../../src/sources/containerClient';
import type { SourceItem } from '../../src/sources/types';
import { ensureTls } from '../../emulators/shared/tls';
import { azuriteConnectionString, uniqueName } from '../helpers/azurite';
import { LOCAL_BLOB_ENDPOINTS } from '../helpers/blobEndpoints';
import { startCountingBlobProxy } from '../helpers/storageProxy';

let container: ContainerClient;

const odd = [
  `a&b<c>"d'.txt`,
  'ünïcødé/文件.txt',
  'space name +plus %25percent.txt',
  'emoji 😀/x',
  'deep/a/b/c/d.bin',
  'trailing-dot.',
  '~tilde',
];

beforeAll(async () => {
  container = BlobServiceClient.fromConnectionString(azuriteConnectionString()).getContainerClient(
    uniqueName('listing'),
  );
  await container.create();
  await Promise.all(
    odd.map((name, i) =>
      container.getBlockBlobClient(name).uploadData(Buffer.from(name), {
        // Values as HTTP headers carry them (no outer spaces). A key "_" is left out: Azurite writes
        // it as the Metadata element's text, where the service writes an element <_>.
        metadata: { owner: 'me', Upper: `spaced  & <marked> ${i}` },
        tags: { team: 'a b', 'k.-_/:=': 'v+1' },
        blobHTTPHeaders: {
          blobContentType: 'text/plain; charset=utf-8',
          blobContentMD5: createHash('md5').update(name).digest(),
          ...(i % 2 === 0
            ? {
                blobContentEncoding: 'gzip',
                blobContentLanguage: 'fr-CA',
                blobCacheControl: 'no-cache',
                blobContentDisposition: 'attachment; filename="x & y.txt"',
              }
            : {}),
        },
      }),
    ),
  );
  await container.getBlockBlobClient('zero-bytes').uploadData(Buffer.alloc(0));
  await container.getBlockBlobClient('plain').uploadData(Buffer.from('no headers, metadata or tags'));
});

/** What the source made of a listed blob before it read the XML itself (the SDK's model). */
function fromSdk(blob: BlobItem): SourceItem {
  const md5 = blob.properties.contentMD5;
  return {
    name: blob.name,
    size: blob.properties.contentLength ?? 0,
    etag: normalizeEtag(blob.properties.etag),
    contentMd5: md5 && md5.length > 0 ? Buffer.from(md5).toString('base64') : undefined,
    lastModified: blob.properties.lastModified,
    facts: {
      properties: blobHeaders(blob.properties),
      metadata: { ...(blob.metadata ?? {}) },
      tags: { ...(blob.tags ?? {}) },
      lastModified: blob.properties.lastModified.toISOString(),
    },
  };
}

async function sdkPages(pageSize: number): Promise<{ items: SourceItem[]; token?: string }[]> {
  const pages = [];
  for await (const page of container
    .listBlobsFlat({ includeMetadata: true, includeTags: true })
    .byPage({ maxPageSize: pageSize }))
    pages.push({
      items: page.segment.blobItems.map(fromSdk),
      ...(page.continuationToken ? { token: page.continuationToken } : {}),
    });
  return pages;
}

async function ownPages(pageSize: number): Promise<{ items: SourceItem[]; token?: string }[]> {
  const source = createBlobSource({
    connectionString: azuriteConnectionString(),
    container: container.containerName,
  });
  const pages = [];
  let token: string | undefined;
  do {
    const page = await source.listPage(token, pageSize);
    pages.push({ items: page.items, ...(page.continuationToken ? { token: page.continuationToken } : {}) });
    token = page.continuationToken;
  } while (token);
  return pages;
}

describe('the source’s listing reads what the SDK’s does', () => {
  it.each([1, 4, 5000])('item for item and marker for marker, in pages of %d', async (pageSize) => {
    const [own, sdk] = await Promise.all([ownPages(pageSize), sdkPages(pageSize)]);
    expect(own).toEqual(sdk);
    expect(own.flatMap((p) => p.items)).toHaveLength(odd.length + 2);
  });

  it('keeps what the blobs were given: headers, metadata with odd keys and values, tags, MD5', async () => {
    const [page] = await ownPages(5000);
    const first = page.items.find((i) => i.name === odd[0])!;
    expect(first.contentMd5).toBe(createHash('md5').update(odd[0]).digest('base64'));
    expect(first.facts).toMatchObject({
      properties: {
        contentType: 'text/plain; charset=utf-8',
        contentEncoding: 'gzip',
        contentDisposition: 'attachment; filename="x & y.txt"',
      },
      metadata: { owner: 'me', Upper: 'spaced  & <marked> 0' },
      tags: { team: 'a b', 'k.-_/:=': 'v+1' },
    });
    const plain = page.items.find((i) => i.name === 'plain')!;
    expect(plain.facts).toMatchObject({ metadata: {}, tags: {} });
    expect(page.items.find((i) => i.name === 'zero-bytes')!.size).toBe(0);
  });

  it('lists a prefix with characters a query must escape', async () => {
    const source = createBlobSource({
      connectionString: azuriteConnectionString(),
      container: container.containerName,
      prefix: 'space name +plus %25',
    });
    expect((await source.listPage(undefined, 10)).items.map((i) => i.name)).toEqual([odd[2]]);
  });
});

describe('on the wire', () => {
  it('sends the service version the storage SDK sends', async () => {
    const proxy = await startCountingBlobProxy();
    try {
      const sdk = BlobServiceClient.fromConnectionString(proxy.connectionString).getContainerClient(
        container.containerName,
      );
      await sdk.listBlobsFlat().byPage({ maxPageSize: 1 }).next();
      await createBlobSource({
        connectionString: proxy.connectionString,
        container: container.containerName,
      }).listPage(undefined, 1);
      expect(proxy.requests.map((r) => r.version)).toEqual([SOURCE_SERVICE_VERSION, SOURCE_SERVICE_VERSION]);
    } finally {
      await proxy.stop();
    }
  });

  it('lists with a SAS in the container URL (no other credential)', async () => {
    const sas = await container.generateSasUrl({
      permissions: ContainerSASPermissions.parse('rlt'),
      expiresOn: new Date(Date.now() + 3600_000),
    });
    const page = await createBlobLister(
      new ContainerClient(sas),
      SOURCE_RETRY,
    )({
      maxResults: 2,
      includeTags: true,
    });
    expect(page.blobs).toHaveLength(2);
    expect(page.nextMarker).toBeTruthy();
  });

  it('says NotFound for a container that does not exist', async () => {
    const missing = createBlobSource({
      connectionString: azuriteConnectionString(),
      container: 'no-such-box',
    });
    const error = await missing.listPage(undefined, 10).catch((e: unknown) => e);
    expect(isAppError(error, 'NotFound')).toBe(true);
    expect((error as Error).message).toMatch(/container "no-such-box" was not found \(ContainerNotFound\)/);
  });
});

describe('against a service that refuses tags, with a token', () => {
  let server: Server;
  let url: string;
  const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
  let busyAnswers = 0;
  const permissionMismatch = { status: 403, code: 'AuthorizationPermissionMismatch', body: '' };
  /** How the server refuses `include=tags`; each test that changes it puts it back. */
  let refusal = permissionMismatch;
  const answer = `<?xml version="1.0" encoding="utf-8"?>
<EnumerationResults ServiceEndpoint="http://x/" ContainerName="box"><MaxResults>10</MaxResults><Blobs>
<Blob><Name>one</Name><Properties><Last-Modified>Tue, 01 Dec 2026 10:00:00 GMT</Last-Modified><Etag>0x8D1</Etag><Content-Length>3</Content-Length><Content-Type /></Properties><Metadata /></Blob>
</Blobs><NextMarker /></EnumerationResults>`;

  beforeAll(async () => {
    const { certPem, keyPem } = ensureTls();
    server = createServer({ cert: certPem, key: keyPem }, (req, res) => {
      seen.push({ url: req.url ?? '', headers: req.headers });
      if (req.url?.includes('marker=busy') && busyAnswers > 0) {
        busyAnswers -= 1;
        res.writeHead(503, { 'x-ms-error-code': 'ServerBusy' });
        res.end('<?xml version="1.0"?><Error><Code>ServerBusy</Code></Error>');
        return;
      }
      if (req.url?.includes('tags')) {
        const { status, code, body } = refusal;
        res.writeHead(status, { 'x-ms-error-code': code });
        res.end(`<?xml version="1.0"?><Error><Code>${code}</Code>${body}</Error>`);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end(answer);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://localhost:${(server.address() as AddressInfo).port}/account/box`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const tokenCredential = (token: string): TokenCredential => ({
    getToken: async (): Promise<AccessToken> => ({ token, expiresOnTimestamp: Date.now() + 3600_000 }),
  });
  /** The source over this server's container, with a token (the Azure mode's managed identity). */
  const tokenSource = () =>
    createBlobSource({
      blobEndpoint: url.replace(/\/box$/, ''),
      credential: tokenCredential('t'),
      endpointPolicy: LOCAL_BLOB_ENDPOINTS,
      container: 'box',
    });

  it('sends the bearer token; a refusal of tags keeps its status and code; without tags it asks for metadata only', async () => {
    const lister = createBlobLister(new ContainerClient(url, tokenCredential('storage-token')), SOURCE_RETRY);
    // The lister alone reports the refusal as the service gave it; the source then lists without tags.
    const refused = await lister({ maxResults: 10, includeTags: true }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ statusCode: 403, code: 'AuthorizationPermissionMismatch' });
    const page = await lister({ maxResults: 10, includeTags: false });
    expect(page).toEqual({
      blobs: [
        {
          name: 'one',
          contentLength: 3,
          etag: '0x8D1',
          contentMd5: undefined,
          lastModified: new Date('2026-12-01T10:00:00Z'),
          headers: { contentType: '' },
          metadata: {},
          tags: {},
        },
      ],
    });
    expect(seen.map((s) => s.headers.authorization)).toEqual([
      'Bearer storage-token',
      'Bearer storage-token',
    ]);
    expect(seen[1].url).toMatch(/[?&]include=metadata(&|$)/);
  });

  it('the source goes on without tags and says each blob’s tags were not read', async () => {
    const source = tokenSource();
    const before = seen.length;
    const page = await source.listPage(undefined, 10);
    expect(page.items.map((i) => [i.name, i.facts?.tagsUnread])).toEqual([['one', true]]);
    // Refused once, tags are not asked for again.
    await source.listPage(undefined, 10);
    expect(seen.slice(before).map((s) => /include=([^&]*)/.exec(s.url)![1])).toEqual([
      'metadata,tags',
      'metadata',
      'metadata',
    ]);
  });

  // A hierarchical namespace account offers no blob index tags and refuses the include value
  // (https://learn.microsoft.com/rest/api/storageservices/list-blobs: include=tags; the 400 names
  // the parameter, https://learn.microsoft.com/rest/api/storageservices/common-rest-api-error-codes);
  // an account with the blob index off answers FeatureNotEnabled.
  it.each([
    [
      'a hierarchical namespace (400 naming include)',
      {
        status: 400,
        code: 'InvalidQueryParameterValue',
        body: '<QueryParameterName>include</QueryParameterName><QueryParameterValue>metadata,tags</QueryParameterValue>',
      },
    ],
    [
      'the blob index feature off (409)',
      { status: 409, code: 'FeatureNotEnabled', body: '<FeatureName>BlobIndex</FeatureName>' },
    ],
  ])('goes on without tags on %s', async (_, refused) => {
    refusal = refused;
    try {
      const source = tokenSource();
      const page = await source.listPage(undefined, 10);
      expect(page.items.map((i) => [i.name, i.facts?.tagsUnread])).toEqual([['one', true]]);
    } finally {
      refusal = permissionMismatch;
    }
  });

  it('a 400 naming another parameter is the listing’s error, and tags are still asked for after it', async () => {
    refusal = {
      status: 400,
      code: 'InvalidQueryParameterValue',
      body: '<QueryParameterName>marker</QueryParameterName><QueryParameterValue>x</QueryParameterValue>',
    };
    try {
      const source = tokenSource();
      const error = await source.listPage(undefined, 10).catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: 'UpstreamError',
        message: expect.stringMatching(/refused a request/),
      });
      const before = seen.length;
      await source.listPage(undefined, 10).catch(() => undefined);
      expect(/include=([^&]*)/.exec(seen[before].url)![1]).toBe('metadata,tags');
    } finally {
      refusal = permissionMismatch;
    }
  });

  it('retries a busy service under the storage retry policy, and says Transient when it stays busy', async () => {
    const client = new ContainerClient(url, tokenCredential('t'));
    const quick = { maxTries: 3, retryDelayInMs: 5, maxRetryDelayInMs: 10 };
    busyAnswers = 2;
    const before = seen.length;
    const page = await createBlobLister(
      client,
      quick,
    )({ marker: 'busy', maxResults: 10, includeTags: false });
    expect(page.blobs.map((b) => b.name)).toEqual(['one']);
    expect(seen.length - before).toBe(3);

    busyAnswers = 5;
    const error = await tokenSource()
      .listPage('busy', 10)
      .catch((e: unknown) => e);
    expect(isAppError(error, 'Transient')).toBe(true);
    expect((error as { detail?: string }).detail).toBe('503 ServerBusy');
  });
});
