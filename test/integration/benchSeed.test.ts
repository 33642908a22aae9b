// The planning bench's container (bench/seed.ts, blobsOnDisk): Azurite's Put Blob scans
// every blob the account holds, so the bench writes most of a large container into Azurite's Blob
// metadata file instead and starts Azurite on it. What it builds must look to the List Blobs and
// Get Blob clients (the real SDK here) like a container seeded blob by blob: every name once, in
// order, across the service's pages, each blob with an ETag of its own, readable.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { BlobServiceClient } from '@azure/storage-blob';
import { startAzurite } from '../../emulators/azurite';
import { readFileSync } from 'node:fs';
import { blobsOnDisk, seedName } from '../../bench/seed';

const BLOBS = 5_003;

function benchFolders(): string[] {
  return readdirSync(tmpdir()).filter((name) => name.startsWith('bench-blobs-'));
}

/** Every name of the container in listing order, each ETag, over pages of 5,000. */
async function listed(
  connectionString: string,
): Promise<{ names: string[]; etags: Set<string>; pages: number }> {
  const container = BlobServiceClient.fromConnectionString(connectionString).getContainerClient('plan');
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
  return { names, etags, pages };
}

const commandLine = (pid: number): string[] => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');

test('a container of thousands of blobs, listed in pages of 5,000 as if each had been put', async () => {
  const before = benchFolders();
  const disk = await blobsOnDisk('plan', BLOBS);
  const made = benchFolders().filter((name) => !before.includes(name));
  try {
    expect(disk.blobs).toBe(BLOBS);
    const azurite = await disk.start();
    const { names, etags, pages } = await listed(azurite.connectionString);
    expect(pages).toBe(2);
    expect(names).toEqual(Array.from({ length: BLOBS }, (_, i) => seedName(i)));
    expect(etags.size).toBe(BLOBS);
    // At Node's defaults: no young generation flag on any process.
    for (const pid of azurite.pids)
      expect(commandLine(pid).some((arg) => arg.startsWith('--max-semi-space-size'))).toBe(false);

    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
      'plan',
    );
    const copy = container.getBlockBlobClient(seedName(BLOBS - 1));
    const body = await copy.downloadToBuffer();
    expect(body.toString()).toBe('blob 0\n');
    const { contentMD5 } = await copy.getProperties();
    expect(Buffer.from(contentMD5!)).toEqual(createHash('md5').update(body).digest());
    await azurite.stop();

    // Started again on the same folder, each process with the young generation asked for: the same
    // blobs, the same ETags.
    const again = await disk.start({ youngGenerationMiB: 64 });
    expect(again.pids).toHaveLength(3);
    for (const pid of again.pids) expect(commandLine(pid)).toContain('--max-semi-space-size=64');
    const second = await listed(again.connectionString);
    expect(second.names).toEqual(names);
    expect(second.etags).toEqual(etags);
  } finally {
    // Stops the Azurite still running on it.
    await disk.remove();
  }
  // Its Blob data lived in a folder of its own, gone once removed.
  expect(made).toHaveLength(1);
  expect(existsSync(`${tmpdir()}/${made[0]}`)).toBe(false);
});

test('a Blob folder on disk needs a process per service', async () => {
  await expect(startAzurite({ blobLocation: tmpdir() })).rejects.toThrow(/processPerService/);
});
