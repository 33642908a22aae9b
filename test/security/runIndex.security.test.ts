// Attacks on the run index a restore loads. `.azure-onedrive-backup/runs/*.jsonl` lives in the
// backup folder, so whoever can write to the drive writes it, and its quickXorHash proves only that
// the download was not damaged. Lines that no backup writes (the same name twice, facts far larger
// than any blob can carry, enough large lines to pass a Table transaction's 4 MiB) used to make the
// index's Table writes fail, so loading it threw and the restore's first listing with it. They are now
// counted as unreadable (or, for a repeated name, the later line stands) and the rest loads, into
// real Table storage (Azurite). Facts of a loaded line that Blob storage refuses (a metadata name or
// tags it does not take) no longer fail the file at its commit: the verified bytes are committed
// without them, and the file says its properties were not restored.
import { graphPath } from '../../src/graph/names';
import { RUN_INDEX_FOLDER } from '../../src/graph/runIndex';
import { createLogger } from '../../src/log/logger';
import { emptyStats, type RestoredFacts } from '../../src/restore/download/types';
import { blockBlobTarget, HASH_METADATA_KEY } from '../../src/restore/target/blockBlobTarget';
import { tableRestoreIndexStore } from '../../src/restore/index/indexStore';
import { loadRunIndex } from '../../src/restore/index/loadIndex';
import { ManualClock } from '../../src/runtime/clock';
import { DEFAULT_RETRY_POLICY } from '../../src/runtime/retry';
import { azuriteTable, newContainer, startGraph, type GraphFixture } from '../integration/backupHarness';

let fx: GraphFixture;

beforeAll(async () => {
  fx = await startGraph('work');
});
afterAll(async () => fx.graph.stop());

const header = (runId: string): string =>
  JSON.stringify({ kind: 'header', format: 'azure-onedrive-backup/run-index', version: 1, runId });

const line = (name: string, metadata: Record<string, string> = {}): string =>
  JSON.stringify({
    kind: 'file',
    name,
    path: name,
    size: 1,
    quickXorHash: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=',
    etag: '',
    facts: { properties: {}, metadata, tags: {}, lastModified: new Date(0).toISOString() },
  });

async function putIndex(folder: string, runId: string, lines: string[]): Promise<void> {
  const path = graphPath(`${folder}/${RUN_INDEX_FOLDER}/${runId}.jsonl`);
  const put = await fetch(`${fx.apiBaseUrl}/drives/${fx.driveId}/root:/${path}:/content`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${fx.token}` },
    body: [header(runId), ...lines].join('\n'),
  });
  expect(put.ok).toBe(true);
}

async function load(folder: string) {
  const table = azuriteTable('secindex');
  await table.createTable();
  const store = tableRestoreIndexStore(table);
  const loaded = await loadRunIndex(
    {
      clock: new ManualClock(Date.now()),
      retry: { ...DEFAULT_RETRY_POLICY, random: () => 0.5 },
      log: createLogger({ test: 'run-index-security' }),
      requestTimeoutMs: 30_000,
      deadline: Number.MAX_SAFE_INTEGER,
      stats: emptyStats(),
      fetch,
    },
    store,
    {
      runId: 'restore-run',
      location: { graphBaseUrl: fx.apiBaseUrl, driveId: fx.driveId, folderPath: folder },
      folderPath: folder,
      tokens: fx.tokens,
    },
  );
  return { loaded, store };
}

describe('a crafted run index cannot stop a restore', () => {
  it('the same name twice in one batch: the later line stands', async () => {
    await putIndex('Crafted/dup', '7100000000000-00000001', [
      line('dup/a', { Which: 'first' }),
      line('ok/b', { Which: 'b' }),
      line('dup/a', { Which: 'second' }),
    ]);
    const { loaded, store } = await load('Crafted/dup');
    expect(loaded).toMatchObject({ files: 2, unreadable: 0 });
    expect((await store.get('restore-run', 'dup/a'))?.facts?.metadata).toEqual({ Which: 'second' });
    expect((await store.get('restore-run', 'ok/b'))?.facts?.metadata).toEqual({ Which: 'b' });
  });

  it('facts larger than any blob carries, and a name no blob has, are not loaded', async () => {
    await putIndex('Crafted/huge', '7100000000000-00000002', [
      line('big/a', { Huge: 'x'.repeat(300_000) }),
      line('big/b', { Large: 'y'.repeat(40_000) }),
      line('n'.repeat(1025)),
      line('ok/c', { Fine: 'yes' }),
    ]);
    const { loaded, store } = await load('Crafted/huge');
    expect(loaded).toMatchObject({ files: 1, unreadable: 3 });
    expect(await store.get('restore-run', 'big/a')).toBeUndefined();
    expect(await store.get('restore-run', 'big/b')).toBeUndefined();
    expect((await store.get('restore-run', 'ok/c'))?.facts?.metadata).toEqual({ Fine: 'yes' });
  });

  it('a hundred lines of 25,000 three-byte characters of facts (7 MB together) load in several transactions', async () => {
    const lines = Array.from({ length: 100 }, (_, i) =>
      line(`many/${String(i).padStart(3, '0')}`, { M: '€'.repeat(25_000) }),
    );
    await putIndex('Crafted/many', '7100000000000-00000003', lines);
    const { loaded, store } = await load('Crafted/many');
    expect(loaded).toMatchObject({ files: 100, unreadable: 0 });
    expect((await store.get('restore-run', 'many/099'))?.facts?.metadata.M).toHaveLength(25_000);
  }, 60_000);
});

describe('facts Blob storage refuses do not cost the file', () => {
  // Azurite checks metadata names (C# identifiers) and tags (at most ten, short, known characters)
  // as Blob storage does, and answers 400.
  const refused: Array<[string, RestoredFacts]> = [
    ['a metadata name with a dash', { properties: {}, metadata: { 'bad-key': 'v' }, tags: {} }],
    ['a metadata name starting with a digit', { properties: {}, metadata: { '1abc': 'v' }, tags: {} }],
    [
      'eleven tags',
      {
        properties: {},
        metadata: {},
        tags: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`t${i}`, 'v'])),
      },
    ],
    ['a tag value over 256 characters', { properties: {}, metadata: {}, tags: { k: 'x'.repeat(300) } }],
  ];
  it.each(refused)(
    '%s: the bytes are committed with the verified hash, without the facts',
    async (_label, facts) => {
      const container = await newContainer();
      const target = blockBlobTarget(container, 'dir/file.txt');
      await target.stageBlock('QUFB', Buffer.from('restored bytes'));
      const committed = await target.commit(['QUFB'], {
        quickXorHash: 'hash-of-file',
        mustNotExist: true,
        facts,
      });
      expect(committed).toEqual({ factsApplied: false });
      const blob = container.getBlobClient('dir/file.txt');
      expect((await blob.downloadToBuffer()).toString()).toBe('restored bytes');
      expect((await blob.getProperties()).metadata).toEqual({ [HASH_METADATA_KEY]: 'hash-of-file' });
    },
  );

  it('facts it accepts are applied', async () => {
    const container = await newContainer();
    const target = blockBlobTarget(container, 'ok.txt');
    await target.stageBlock('QUFB', Buffer.from('x'));
    const committed = await target.commit(['QUFB'], {
      quickXorHash: 'h',
      mustNotExist: true,
      facts: { properties: { contentType: 'text/plain' }, metadata: { Owner: 'me' }, tags: { team: 'a' } },
    });
    expect(committed).toEqual({ factsApplied: true });
    const props = await container.getBlobClient('ok.txt').getProperties();
    expect(props.metadata).toEqual({ owner: 'me', [HASH_METADATA_KEY]: 'h' });
    expect(props.contentType).toBe('text/plain');
  });
});
