// The run index on its own: a large one is gzipped by the writer and read back line by line by
// the restore's loader (the lossless round trip only meets small, plain ones); the newest index of
// a folder is the one loaded; lines not in the format are counted, not trusted.
import { gunzipSync } from 'node:zlib';
import type { BackupDeps } from '../../src/backup/deps';
import { writeRunIndex } from '../../src/backup/runIndexWriter';
import { graphPath } from '../../src/graph/names';
import { RUN_INDEX_FOLDER } from '../../src/graph/runIndex';
import { createLogger } from '../../src/log/logger';
import { emptyStats } from '../../src/restore/download/types';
import type { IndexedFile, LoadedIndex, RestoreIndexStore } from '../../src/restore/index/indexStore';
import { loadRunIndex } from '../../src/restore/index/loadIndex';
import { ManualClock } from '../../src/runtime/clock';
import { DEFAULT_RETRY_POLICY } from '../../src/runtime/retry';
import type { Job } from '../../src/store/jobs';
import type { ManifestEntry } from '../../src/store/manifest';
import type { Run } from '../../src/store/runs';
import { MiB, startGraph, type GraphFixture } from './backupHarness';

let fx: GraphFixture;
const FOLDER = 'Idx/job';

beforeAll(async () => {
  fx = await startGraph('work');
});
afterAll(async () => fx.graph.stop());

function memoryIndexStore(): RestoreIndexStore & { rows: Map<string, IndexedFile> } {
  const rows = new Map<string, IndexedFile>();
  let summary: LoadedIndex | undefined;
  return {
    rows,
    putFiles: async (_run, files) => files.forEach((f) => rows.set(f.name, f)),
    get: async (_run, name) => rows.get(name),
    files: async function* () {
      yield* rows.values();
    },
    setLoaded: async (_run, loaded) => void (summary = loaded),
    loaded: async () => summary,
  };
}

const entry = (i: number): ManifestEntry => ({
  blobName: `dir/file-${i}.bin`,
  etag: `"0x${i}"`,
  size: i,
  contentMd5: 'AAAAAAAAAAAAAAAAAAAAAA==',
  driveItemId: `item-${i}`,
  drivePath: `${FOLDER}/dir/file-${i}.bin`,
  quickXorHash: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=',
  uploadedAt: new Date(0).toISOString(),
  facts: {
    properties: { contentType: 'application/octet-stream' },
    metadata: { Index: String(i) },
    tags: { n: String(i % 7) },
    lastModified: new Date(i * 1000).toISOString(),
  },
});

function deps(entries: ManifestEntry[]): Pick<BackupDeps, 'manifest' | 'settings' | 'clock' | 'log'> {
  return {
    manifest: {
      list: async function* () {
        yield* entries;
        // A row of another folder (another snapshot) is not this folder's.
        yield { ...entry(0), blobName: 'elsewhere', drivePath: 'Idx/other/elsewhere' };
      },
    } as unknown as BackupDeps['manifest'],
    settings: {
      simpleUploadMaxBytes: 4 * MiB,
      invocationBudgetSeconds: 60,
      plannerPageSize: 10,
      runTimeoutMinutes: 60,
      sendConcurrency: 2,
    },
    clock: new ManualClock(Date.now()),
    log: createLogger({ test: 'run-index' }),
  };
}

const job = { id: 'job-1', mode: 'mirror', source: { container: 'c' }, chunkSizeBytes: 327_680 } as Job;
const run = (id: string): Run => ({ id, jobId: 'job-1' }) as Run;
const destination = () => ({
  apiBaseUrl: fx.apiBaseUrl,
  driveId: fx.driveId,
  rootFolder: 'Idx',
  driveType: 'business' as const,
  allowedUploadHosts: ['127.0.0.1'],
  tokens: fx.tokens,
});
const withFolder = { ...job, destinationFolder: 'job' } as Job;

const loaderContext = () => ({
  clock: new ManualClock(Date.now()),
  retry: { ...DEFAULT_RETRY_POLICY, random: () => 0.5 },
  log: createLogger({ test: 'run-index' }),
  requestTimeoutMs: 30_000,
  deadline: Number.MAX_SAFE_INTEGER,
  stats: emptyStats(),
  fetch,
});

const load = (store: RestoreIndexStore, prefix?: string) =>
  loadRunIndex(loaderContext(), store, {
    runId: 'restore-run',
    location: { graphBaseUrl: fx.apiBaseUrl, driveId: fx.driveId, folderPath: FOLDER },
    folderPath: FOLDER,
    tokens: fx.tokens,
    prefix,
  });

it('gzips a large index, and the restore reads every line of it back', async () => {
  const entries = Array.from({ length: 3000 }, (_, i) => entry(i + 1));
  const written = await writeRunIndex(
    deps(entries),
    withFolder,
    run('8000000000000-00000001'),
    destination(),
    1024,
  );
  expect(written).toMatchObject({
    files: 3000,
    path: `${FOLDER}/${RUN_INDEX_FOLDER}/8000000000000-00000001.jsonl.gz`,
  });
  const stored = fx.graph.listFiles(fx.driveId).find((f) => f.path === `/${written.path}`)!;
  expect(gunzipSync(stored.content).toString().split('\n')[0]).toContain('"kind":"header"');

  const store = memoryIndexStore();
  const loaded = await load(store);
  expect(loaded).toEqual({
    name: '8000000000000-00000001.jsonl.gz',
    runId: '8000000000000-00000001',
    files: 3000,
    unreadable: 0,
  });
  expect(store.rows.get('dir/file-2999.bin')).toEqual({
    name: 'dir/file-2999.bin',
    size: 2999,
    quickXorHash: entries[2998].quickXorHash,
    facts: entries[2998].facts,
  });
  expect(store.rows.has('elsewhere')).toBe(false);
}, 60_000);

it('loads the newest index of the folder, only the names under the prefix, and counts lines not in the format', async () => {
  const newer = '7000000000000-00000002';
  const body = [
    JSON.stringify({ kind: 'header', format: 'azure-onedrive-backup/run-index', version: 1, runId: newer }),
    JSON.stringify({ kind: 'file', name: 'keep/a', path: 'keep/a', size: 1, quickXorHash: 'x', etag: '' }),
    JSON.stringify({ kind: 'file', name: 'skip/b', path: 'skip/b', size: 1, quickXorHash: 'x', etag: '' }),
    '{"kind":"file","name":42}',
    'not json',
  ].join('\n');
  const url = `${fx.apiBaseUrl}/drives/${fx.driveId}/root:/${graphPath(`${FOLDER}/${RUN_INDEX_FOLDER}/${newer}.jsonl`)}:/content`;
  const put = await fetch(url, { method: 'PUT', headers: { authorization: `Bearer ${fx.token}` }, body });
  expect(put.ok).toBe(true);

  const store = memoryIndexStore();
  expect(await load(store, 'keep/')).toEqual({
    name: `${newer}.jsonl`,
    runId: newer,
    files: 1,
    unreadable: 2,
  });
  expect([...store.rows.keys()]).toEqual(['keep/a']);
});

it('says so when the folder has no index', async () => {
  const store = memoryIndexStore();
  const loaded = await loadRunIndex(loaderContext(), store, {
    runId: 'r',
    location: { graphBaseUrl: fx.apiBaseUrl, driveId: fx.driveId, folderPath: 'Nowhere' },
    folderPath: 'Nowhere',
    tokens: fx.tokens,
  });
  expect(loaded).toEqual({ files: 0 });
  expect(store.rows.size).toBe(0);
});

it('keeps the newest ten indexes of a folder and moves older ones to the recycle bin', async () => {
  const folder = { ...job, destinationFolder: 'pruned' } as Job;
  const ids = Array.from({ length: 12 }, (_, i) => `${6000000000000 - i}-0000000a`);
  let last;
  for (const id of ids) last = await writeRunIndex(deps([entry(1)]), folder, run(id), destination());
  // Each write past the tenth removes the one index that fell out.
  expect(last).toMatchObject({ pruned: 1 });
  const prefix = `/Idx/pruned/${RUN_INDEX_FOLDER}/`;
  const left = fx.graph
    .listFiles(fx.driveId)
    .filter((f) => f.path.startsWith(prefix))
    .map((f) => f.path.slice(prefix.length))
    .sort();
  // Run ids count down: the last ten written are the newest.
  expect(left).toEqual(
    ids
      .slice(2)
      .map((id) => `${id}.jsonl`)
      .sort(),
  );
}, 60_000);
