// The planning bench's container (bench/seed.ts, azuriteWithManyBlobs): Azurite's Put Blob scans
// every blob the account holds, so the bench writes most of a large container into Azurite's Blob
// metadata file instead and starts Azurite on it. What it builds must look to the List Blobs and
// Get Blob clients (the real SDK here) like a container seeded blob by blob: every name once, in
// order, across the service's pages, each blob with an ETag of its own, readable.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { BlobServiceClient } from '@azure/storage-blob';
import { startAzurite } from '../../emulators/azurite';
import { azuriteWithManyBlobs, seedName } from '../../bench/seed';

const BLOBS = 5_003;

function benchFolders(): string[] {
  return readdirSync(tmpdir()).filter((name) => name.startsWith('bench-blobs-'));
}

test('a container of thousands of blobs, listed in pages of 5,000 as if each had been put', async () => {
  const before = benchFolders();
  const { azurite, blobs } = await azuriteWithManyBlobs('plan', BLOBS);
  const made = benchFolders().filter((name) => !before.includes(name));
  try {
    expect(blobs).toBe(BLOBS);
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
      'plan',
    );
    const names: string[] = [];
    const etags = new Set<string>();
    let pages = 0;
    for await (const page of container.listBlobsFlat().byPage({ maxPageSize: 5000 })) {
      pages += 1;
      for (const item of page.segment.blobItems) {
        names.push(item.name);
        etags.add(item.properties.etag!);
        expect(item.properties.contentLength).toBe(7);
      }
    }
    expect(pages).toBe(2);
    expect(names).toEqual(Array.from({ length: BLOBS }, (_, i) => seedName(i)));
    expect(etags.size).toBe(BLOBS);

    const copy = container.getBlockBlobClient(seedName(BLOBS - 1));
    const body = await copy.downloadToBuffer();
    expect(body.toString()).toBe('blob 0\n');
    const { contentMD5 } = await copy.getProperties();
    expect(Buffer.from(contentMD5!)).toEqual(createHash('md5').update(body).digest());
  } finally {
    await azurite.stop();
  }
  // Its Blob data lived in a folder of its own, gone once Azurite stopped.
  expect(made).toHaveLength(1);
  expect(existsSync(`${tmpdir()}/${made[0]}`)).toBe(false);
});

test('a Blob folder on disk needs a process per service', async () => {
  await expect(startAzurite({ blobLocation: tmpdir() })).rejects.toThrow(/processPerService/);
});
