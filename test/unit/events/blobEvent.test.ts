// Reading blob events without trusting them: the shapes Azure Storage publishes through Event Grid
// (https://learn.microsoft.com/azure/event-grid/event-schema-blob-storage), and everything else
// refused with its reason or ignored.
import { readBlobEvent, blobNameProblem, eventsOf } from '../../../src/events/blobEvent';

const TOPIC = '/subscriptions/sub-1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/mysource';

function event(
  overrides: Record<string, unknown> = {},
  data: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id: '831e1650-001e-001b-66ab-eeb76e069631',
    topic: TOPIC,
    subject: '/blobServices/default/containers/backups/blobs/db/2026-12-01 dump.sql',
    eventType: 'Microsoft.Storage.BlobCreated',
    eventTime: '2026-12-01T10:00:00.1234567Z',
    dataVersion: '',
    metadataVersion: '1',
    data: {
      api: 'PutBlockList',
      eTag: '0x8D4BCC2E4835CD0',
      contentLength: 524288,
      blobType: 'BlockBlob',
      url: 'https://mysource.blob.core.windows.net/backups/db/2026-12-01%20dump.sql',
      ...data,
    },
    ...overrides,
  };
}

describe('readBlobEvent', () => {
  it('reads a BlobCreated event into account, container and blob name', () => {
    expect(readBlobEvent(event())).toEqual({
      action: 'handle',
      event: {
        kind: 'created',
        account: 'mysource',
        container: 'backups',
        blobName: 'db/2026-12-01 dump.sql',
        eventTime: '2026-12-01T10:00:00.123Z',
        id: '831e1650-001e-001b-66ab-eeb76e069631',
      },
    });
  });

  it('reads a BlobDeleted event, and path-style (Azurite) URLs', () => {
    const decision = readBlobEvent(
      event(
        {
          eventType: 'Microsoft.Storage.BlobDeleted',
          topic: TOPIC.replace('mysource', 'devstoreaccount1'),
          subject: '/blobServices/default/containers/backups/blobs/a.txt',
        },
        { url: 'http://127.0.0.1:10000/devstoreaccount1/backups/a.txt' },
      ),
    );
    expect(decision).toMatchObject({ action: 'handle', event: { kind: 'deleted', blobName: 'a.txt' } });
  });

  it('ignores other event types', () => {
    expect(readBlobEvent(event({ eventType: 'Microsoft.Storage.BlobTierChanged' }))).toEqual({
      action: 'ignore',
      reason: 'event type Microsoft.Storage.BlobTierChanged',
    });
  });

  it.each([
    ['not an object', 'text', 'the event is not a JSON object'],
    ['no event type', { ...event(), eventType: undefined }, 'eventType is missing'],
    [
      'a Key Vault topic',
      event({ topic: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/v' }),
      'the topic is not a storage account',
    ],
    [
      'a topic with a path after the account',
      event({ topic: `${TOPIC}/../other` }),
      'the topic is not a storage account',
    ],
    [
      'a subject outside the blob service',
      event({ subject: '/fileServices/default/shares/s/files/a' }),
      'the subject is not a blob of the blob service',
    ],
    [
      'a subject without a blob',
      event({ subject: '/blobServices/default/containers/backups' }),
      'the subject names no blob',
    ],
    [
      'an invalid container',
      event({ subject: '/blobServices/default/containers/Bad_Name/blobs/a' }),
      'the subject names no valid container',
    ],
    [
      'a .. segment',
      event({ subject: '/blobServices/default/containers/backups/blobs/a/../../secret' }),
      'the blob name holds a . or .. segment',
    ],
    [
      'a leading slash',
      event({ subject: '/blobServices/default/containers/backups/blobs//etc/passwd' }),
      'the blob name starts with /',
    ],
    [
      'a control character',
      event({ subject: '/blobServices/default/containers/backups/blobs/a\u0000b' }),
      'the blob name holds control characters',
    ],
    [
      'a backslash',
      event({ subject: '/blobServices/default/containers/backups/blobs/a\\..\\b' }),
      'the blob name holds a backslash',
    ],
    ['no data', event({ data: undefined }), 'data is missing'],
    ['no URL', event({}, { url: undefined }), 'data.url is missing'],
    [
      'a URL of another account',
      event({}, { url: 'https://evil.blob.core.windows.net/backups/db/2026-12-01%20dump.sql' }),
      'data.url names another account than the topic',
    ],
    [
      'a URL on a host that is no storage account',
      event({}, { url: 'https://mysource.example.com/backups/db/2026-12-01%20dump.sql' }),
      "data.url is not a blob URL: mysource.example.com is neither a storage account's blob host nor an emulator's (path-style) host",
    ],
    [
      'a path-style URL of another account',
      event({}, { url: 'http://[::1]:10000/evil/backups/db/2026-12-01%20dump.sql' }),
      'data.url names another account than the topic',
    ],
    [
      'a URL of another blob',
      event({}, { url: 'https://mysource.blob.core.windows.net/backups/other.sql' }),
      'data.url names another blob than the subject',
    ],
    [
      'a badly encoded URL',
      event({}, { url: 'https://mysource.blob.core.windows.net/backups/%E0%A4%A' }),
      'data.url is not properly encoded',
    ],
    ['a time that is not one', event({ eventTime: 'yesterday' }), 'eventTime is not a time'],
  ])('refuses %s', (_what, raw, reason) => {
    expect(readBlobEvent(raw)).toEqual({ action: 'refuse', reason });
  });
});

describe('blobNameProblem', () => {
  it('accepts the names a listing gives, dots inside segments included', () => {
    expect(blobNameProblem('a/b.c/..d/e..')).toBeUndefined();
    expect(blobNameProblem('x'.repeat(1024))).toBeUndefined();
    expect(blobNameProblem('x'.repeat(1025))).toBe('the blob name is longer than 1,024 characters');
  });
});

describe('eventsOf', () => {
  it('reads one event or a batch', () => {
    expect(eventsOf({ a: 1 })).toEqual([{ a: 1 }]);
    expect(eventsOf([{ a: 1 }, { b: 2 }])).toHaveLength(2);
  });
});
