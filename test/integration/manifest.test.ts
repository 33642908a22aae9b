import { TableClient } from '@azure/data-tables';
import { ManifestStore, manifestMatches, type ManifestEntry } from '../../src/store/manifest';
import { azuriteConnectionString, uniqueName } from '../helpers/azurite';

function entry(overrides: Partial<ManifestEntry> = {}): ManifestEntry {
  return {
    blobName: 'dumps/nightly.bak',
    etag: '"0x8DCAFEBABE12345"',
    size: 12_345_678,
    driveItemId: 'item-1',
    drivePath: '/Backups/dumps/nightly.bak',
    quickXorHash: 'SgAAAAAAAAAAAAAAAQAAAAAAAAA=',
    uploadedAt: '2026-11-23T12:00:00.000Z',
    ...overrides,
  };
}

describe('manifest store on Table storage', () => {
  let store: ManifestStore;

  beforeAll(async () => {
    const client = TableClient.fromConnectionString(azuriteConnectionString(), uniqueName('manifest'), {
      allowInsecureConnection: true,
    });
    await client.createTable();
    store = new ManifestStore(client);
  });

  it('keeps the source blob ETag through a write and a read (Table storage reserves the etag column)', async () => {
    await store.put('job-1', entry());
    const read = await store.get('job-1', 'dumps/nightly.bak');
    expect(read?.etag).toBe('"0x8DCAFEBABE12345"');
  });

  it('so an unchanged blob without Content-MD5 (block uploads) matches and is not uploaded again', async () => {
    await store.put('job-2', entry({ contentMd5: undefined }));
    const read = await store.get('job-2', 'dumps/nightly.bak');
    expect(manifestMatches(read, { etag: '"0x8DCAFEBABE12345"', size: 12_345_678 })).toBe(true);
    expect(manifestMatches(read, { etag: '"0x8DCAFEBABE99999"', size: 12_345_678 })).toBe(false);
  });
});
