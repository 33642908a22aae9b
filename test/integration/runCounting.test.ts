// Run totals come from per-file rows and counter shards written in one Table transaction, so many
// workers finishing files at once, duplicate deliveries and crashes never lose or double a count.
import { TableClient } from '@azure/data-tables';
import { RunStore } from '../../src/store/runs';
import { azuriteConnectionString, uniqueName } from '../helpers/azurite';

function table(prefix: string): TableClient {
  return TableClient.fromConnectionString(azuriteConnectionString(), uniqueName(prefix), {
    allowInsecureConnection: true,
  });
}

function uploaded(blobName: string, size: number) {
  return { blobName, status: 'uploaded' as const, size, bytesDone: size, attempts: 1 };
}

describe('run counting', () => {
  let runs: RunStore;
  let files: TableClient;

  beforeEach(() => {
    files = table('files');
    runs = new RunStore({ runs: table('runs'), progress: table('progress'), files });
  });

  it('adds up exactly when 60 files finish at once (no count lost to shard races)', async () => {
    await Promise.all(
      Array.from({ length: 60 }, (_, i) => runs.finishFile('run-a', uploaded(`f/${i}.bin`, i + 1))),
    );
    const { totals } = await runs.totals('run-a');
    expect(totals.uploadedFiles).toBe(60);
    expect(totals.uploadedBytes).toBe((60 * 61) / 2);
    expect((await runs.countFiles('run-a')).uploadedFiles).toBe(60);
  });

  it('counts a file once however many deliveries finish it concurrently', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, () => runs.finishFile('run-b', uploaded('same.bin', 1000))),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const { totals } = await runs.totals('run-b');
    expect(totals.uploadedFiles).toBe(1);
    expect(totals.uploadedBytes).toBe(1000);
  });

  it('lists the files in flight with their progress, and drops a file once it is final', async () => {
    await runs.recordFileProgress('run-f', 'big.bin', 1000, 400, 1);
    await runs.finishFile('run-f', uploaded('done.bin', 5));
    const inFlight = await runs.inFlightFiles('run-f');
    expect(inFlight.map((f) => [f.blobName, f.size, f.bytesDone])).toEqual([['big.bin', 1000, 400]]);
    await runs.finishFile('run-f', uploaded('big.bin', 1000));
    expect(await runs.inFlightFiles('run-f')).toEqual([]);
  });

  it('keeps counter rows out of the per-file results', async () => {
    await runs.finishFile('run-c', uploaded('a.txt', 5));
    await runs.finishFile('run-c', { ...uploaded('b.txt', 7), status: 'failed', code: 'X', reason: 'why' });
    const counted = await runs.countFileOutcomes('run-c');
    expect(counted).toMatchObject({ uploadedFiles: 1, failedFiles: 1, inFlight: 0 });
    expect((await runs.failures('run-c')).map((f) => f.blobName)).toEqual(['b.txt']);
  });

  it('a batch finished in one transaction per 99 files, raced by single finishes of some of them: each counted once', async () => {
    const batch = Array.from({ length: 150 }, (_, i) => ({
      result: { ...uploaded(`b/${i}.bin`, i + 1), throttles: 1, throttledMs: 10 },
    }));
    const [finished, ...singles] = await Promise.all([
      runs.finishFiles('run-e', batch),
      ...batch.slice(0, 30).map(({ result }) => runs.finishFile('run-e', result)),
    ]);
    expect(finished + singles.filter(Boolean).length).toBe(150);
    const { totals } = await runs.totals('run-e');
    expect(totals).toMatchObject({
      uploadedFiles: 150,
      uploadedBytes: (150 * 151) / 2,
      throttles: 150,
      throttledMs: 1500,
    });
    expect(await runs.countFiles('run-e')).toMatchObject({
      uploadedFiles: 150,
      uploadedBytes: (150 * 151) / 2,
    });
    expect((await runs.getFile('run-e', 'b/149.bin'))?.counted).toBe(true);
  });

  it('a final row written before counting was transactional is counted once and keeps when it became final', async () => {
    await files.createTable();
    await files.createEntity({
      partitionKey: 'run-g',
      rowKey: 'old.bin',
      ...uploaded('old.bin', 40),
      counted: false,
      updatedAt: '2025-01-01T00:00:00.000Z',
    });
    expect(await runs.finishFile('run-g', uploaded('old.bin', 40))).toBe(false);
    expect(await runs.finishFile('run-g', uploaded('old.bin', 40))).toBe(false);
    expect((await runs.totals('run-g')).totals).toMatchObject({ uploadedFiles: 1, uploadedBytes: 40 });
    expect(await runs.getFile('run-g', 'old.bin')).toMatchObject({
      counted: true,
      updatedAt: '2025-01-01T00:00:00.000Z',
    });
  });

  it('a final row is always counted: the file row and its count land together', async () => {
    await runs.finishFile('run-d', uploaded('x.bin', 3));
    expect((await runs.getFile('run-d', 'x.bin'))?.counted).toBe(true);
  });
});
