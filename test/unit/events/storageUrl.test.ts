// The account a blob URL addresses, read one way for a job's endpoint and an event's data.url:
// virtual-host style (https://learn.microsoft.com/azure/storage/common/storage-account-overview#standard-endpoints)
// and Azurite's path style (https://learn.microsoft.com/azure/storage/common/storage-use-azurite#http-connection-strings),
// with IP, IPv6 and localhost hosts; everything else refused with the reason.
import { parseStorageUrl } from '../../../src/events/storageUrl';
import { jobAccount } from '../../../src/events/receive';
import { readBlobEvent } from '../../../src/events/blobEvent';

describe('parseStorageUrl', () => {
  it.each([
    ['https://mysource.blob.core.windows.net/backups/a%20b.txt', 'mysource', '/backups/a%20b.txt'],
    ['https://MySource.blob.core.windows.net', 'mysource', ''],
    ['https://mysource.blob.core.usgovcloudapi.net/', 'mysource', ''],
    ['https://mysource.dfs.core.windows.net/backups/a', 'mysource', '/backups/a'],
    ['http://devstoreaccount1.blob.localhost:10000/c/b', 'devstoreaccount1', '/c/b'],
    ['http://127.0.0.1:10000/devstoreaccount1/c/b', 'devstoreaccount1', '/c/b'],
    ['http://127.0.0.1:10000/devstoreaccount1', 'devstoreaccount1', ''],
    ['https://127.0.0.1:10000/devstoreaccount1/', 'devstoreaccount1', ''],
    ['http://[::1]:10000/devstoreaccount1/c/b', 'devstoreaccount1', '/c/b'],
    ['http://[0:0:0:0:0:0:0:1]/DevStoreAccount1/c', 'devstoreaccount1', '/c'],
    ['http://localhost:10000/devstoreaccount1/c/b', 'devstoreaccount1', '/c/b'],
    ['http://10.1.2.3/devstoreaccount1/c/b', 'devstoreaccount1', '/c/b'],
    ['http://azurite:10000/devstoreaccount1/c/b', 'devstoreaccount1', '/c/b'],
    ['http://host.docker.internal/devstoreaccount1/c', 'devstoreaccount1', '/c'],
  ])('reads %s', (raw, account, path) => {
    expect(parseStorageUrl(raw)).toEqual({ ok: true, account, path });
  });

  it.each([
    ['not a URL', 'it is not a URL'],
    ['ftp://mysource.blob.core.windows.net/c/b', 'it is not an http(s) URL'],
    [
      'https://evil.example.com/c/b',
      "evil.example.com is neither a storage account's blob host nor an emulator's (path-style) host",
    ],
    [
      'https://mysource.evil.com/c/b',
      "mysource.evil.com is neither a storage account's blob host nor an emulator's (path-style) host",
    ],
    [
      'https://my_source.blob.core.windows.net/c',
      'my_source.blob.core.windows.net names no valid storage account',
    ],
    ['http://[::1]:10000/', 'the path after [::1]:10000 names no valid storage account'],
    ['http://127.0.0.1:10000/a/c/b', 'the path after 127.0.0.1:10000 names no valid storage account'],
  ])('refuses %s', (raw, reason) => {
    expect(parseStorageUrl(raw)).toEqual({ ok: false, reason });
  });
});

describe('its users', () => {
  it('tells the account of a job on Azurite over IPv6, and none for an endpoint it cannot read', () => {
    const job = (blobEndpoint?: string) => ({ source: { container: 'c', blobEndpoint } });
    expect(jobAccount(job('https://[::1]:10000/devstoreaccount1'), undefined)).toBe('devstoreaccount1');
    expect(jobAccount(job('https://MySource.blob.core.windows.net'), undefined)).toBe('mysource');
    expect(jobAccount(job(), 'DevStoreAccount1')).toBe('devstoreaccount1');
    expect(jobAccount(job('https://example.com'), 'x')).toBeUndefined();
  });

  it('accepts an event whose data.url is path-style over IPv6, as the change detector writes it', () => {
    const decision = readBlobEvent({
      id: 'e1',
      topic:
        '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/devstoreaccount1',
      subject: '/blobServices/default/containers/backups/blobs/a b.txt',
      eventType: 'Microsoft.Storage.BlobCreated',
      eventTime: '2026-12-01T10:00:00Z',
      data: { url: 'https://[::1]:10000/devstoreaccount1/backups/a%20b.txt' },
    });
    expect(decision).toMatchObject({
      action: 'handle',
      event: { account: 'devstoreaccount1', blobName: 'a b.txt' },
    });
  });
});
