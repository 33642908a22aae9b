import { BATCH_LIMITS, parseUploadTask, type UploadTask } from '../../../src/backup/messages';
import { plannedFileOf, queueUploadTasks, uploadTasks } from '../../../src/backup/uploadTasks';
import { PLAN_SET_CHARS, planSetEntry, planSetId, planSetJson } from '../../../src/store/runs';
import { tableBatches } from '../../../src/store/table';
import type { SourceItem } from '../../../src/sources/types';

const MiB = 1024 * 1024;
const item = (name: string, size: number): SourceItem => ({
  name,
  size,
  etag: '"0x8D0000000000001"',
  lastModified: new Date('2026-01-01T00:00:00Z'),
});
const describeTask = (t: UploadTask): string => (t.v === 2 ? `batch:${t.files.length}` : `one:${t.blobName}`);

describe('uploadTasks', () => {
  it('puts small files in batches of at most 100 and gives each large file a task of its own', () => {
    const items = [
      ...Array.from({ length: 150 }, (_, i) => item(`s${i}`, 10)),
      item('big', 5 * MiB),
      item('after', 10),
    ];
    const tasks = uploadTasks('run-1', 'job-1', items, 4 * MiB);
    expect(tasks.map(describeTask)).toEqual(['batch:100', 'one:big', 'batch:51']);
    // Every file exactly once, in listing order within its kind.
    const names = tasks.flatMap((t) => (t.v === 2 ? t.files.map((f) => f.blobName) : [t.blobName]));
    expect([...names].sort()).toEqual(items.map((i) => i.name).sort());
  });

  it('closes a batch before it passes 64 MiB', () => {
    const tasks = uploadTasks(
      'run-1',
      'job-1',
      Array.from({ length: 40 }, (_, i) => item(`m${i}`, 4 * MiB)),
      4 * MiB,
    );
    expect(tasks.map(describeTask)).toEqual(['batch:16', 'batch:16', 'batch:8']);
  });

  it('closes a batch before its message passes what a queue message holds, and every task parses', () => {
    const long = (i: number): string => `${i}-${'x'.repeat(1000)}`;
    const tasks = uploadTasks(
      'run-1',
      'job-1',
      Array.from({ length: 100 }, (_, i) => item(long(i), 1)),
      4 * MiB,
    );
    expect(tasks.length).toBeGreaterThan(1);
    for (const task of tasks) {
      expect(JSON.stringify(task).length).toBeLessThanOrEqual(BATCH_LIMITS.jsonChars);
      expect(parseUploadTask(JSON.parse(JSON.stringify(task)))).toEqual(task);
    }
  });

  it('names each batch by the id of its plan set: the hash of its files, so another listing names another set', () => {
    const items = Array.from({ length: 3 }, (_, i) => item(`f${i}`, 10));
    const [batch] = uploadTasks('run-1', 'job-1', items, 4 * MiB);
    if (batch.v !== 2) throw new Error('expected a batch');
    expect(batch.set).toMatch(/^[0-9a-f]{64}$/);
    expect(batch.set).toBe(planSetId(batch.files));
    const [changed] = uploadTasks(
      'run-1',
      'job-1',
      [...items.slice(0, 2), { ...items[2], size: 11 }],
      4 * MiB,
    );
    expect((changed as typeof batch).set).not.toBe(batch.set);
  });

  it('closes a batch before its plan set (facts included) passes what one Table row holds', () => {
    // Blob metadata is up to 8 KiB a blob: a hundred such files would not fit one plan set row.
    const heavy = (i: number): SourceItem => ({
      ...item(`h${i}`, 1),
      facts: {
        properties: {},
        metadata: { note: 'm'.repeat(7_000) },
        tags: {},
        lastModified: '2026-01-01T00:00:00.000Z',
      },
    });
    const items = Array.from({ length: 100 }, (_, i) => heavy(i));
    const tasks = uploadTasks('run-1', 'job-1', items, 4 * MiB);
    expect(tasks.length).toBeGreaterThan(1);
    for (const task of tasks) {
      if (task.v !== 2) continue;
      const byName = new Map(items.map((i) => [i.name, i]));
      const json = planSetJson(task.files.map((f) => planSetEntry(plannedFileOf(byName.get(f.blobName)!))));
      expect(JSON.parse(json)).toHaveLength(task.files.length);
      expect(json.length).toBeLessThanOrEqual(PLAN_SET_CHARS);
    }
    expect(tasks.flatMap((t) => (t.v === 2 ? t.files : [t])).length).toBe(100);
  });

  it('sends a lone small file as a single-file task', () => {
    expect(uploadTasks('run-1', 'job-1', [item('only', 5)], 4 * MiB).map(describeTask)).toEqual(['one:only']);
  });
});

describe('tableBatches', () => {
  it('slices by count alone, or by count and a weight budget (a heavier item goes alone)', () => {
    const items = Array.from({ length: 250 }, (_, i) => i);
    expect([...tableBatches(items)].map((b) => b.length)).toEqual([100, 100, 50]);
    const weights = [5, 5, 5, 20, 1, 1];
    const sliced = [...tableBatches(weights, { weight: (w) => w, budget: 10 })];
    expect(sliced).toEqual([[5, 5], [5], [20], [1, 1]]);
    expect([...tableBatches(items, { weight: () => 1, budget: 1_000 })].map((b) => b.length)).toEqual([
      100, 100, 50,
    ]);
  });
});

describe('queueUploadTasks', () => {
  /** Files named so each task says which rows plan it: a batch its set id, a single its name. */
  const page = (files: number): SourceItem[] => [
    ...Array.from({ length: files }, (_, i) => ({
      ...item(`small/${String(i).padStart(5, '0')}-${'n'.repeat(60)}`, 10),
      facts: {
        properties: {},
        metadata: { owner: 'o'.repeat(200) },
        tags: {},
        lastModified: '2026-01-01T00:00:00.000Z',
      },
    })),
    item('large.bin', 8 * MiB),
  ];
  const planKey = (t: UploadTask): string => (t.v === 2 ? `set:${t.set}` : `one:${t.blobName}`);

  /**
   * A run store whose plan writes finish in order after a few milliseconds each (as Table
   * transactions do), recording when each one started and ended; `failAt` makes that write fail.
   */
  function fakeDeps(failAt?: number, sendFailsAt?: number) {
    const events: string[] = [];
    const written = new Set<string>();
    const sent: UploadTask[] = [];
    let writes = 0;
    const plan = async (keys: string[]): Promise<void> => {
      if (!keys.length) return;
      const n = writes++;
      events.push(`write-start:${n}`);
      await new Promise((r) => setTimeout(r, 5));
      if (n === failAt) throw new Error('Table write failed');
      for (const k of keys) written.add(k);
      events.push(`write-end:${n}`);
    };
    const deps = {
      runs: {
        planFiles: (_run: string, files: ReadonlyArray<{ blobName: string }>) =>
          plan(files.map((f) => `one:${f.blobName}`)),
        planSets: (_run: string, sets: ReadonlyArray<{ id: string }>) => plan(sets.map((s) => `set:${s.id}`)),
      },
      send: async (_queue: string, task: UploadTask) => {
        // Planned before queued: the uploader refuses a task whose rows are not there.
        if (!written.has(planKey(task))) throw new Error(`sent before planned: ${planKey(task)}`);
        if (sent.length === sendFailsAt) throw new Error('Queue send failed');
        events.push('send');
        sent.push(task);
        await new Promise((r) => setImmediate(r));
      },
      settings: { simpleUploadMaxBytes: 4 * MiB, sendConcurrency: 16 },
    } as unknown as Parameters<typeof queueUploadTasks>[0];
    return { deps, events, sent, written };
  }

  it('sends every task once its own rows are written, and the first ones while later rows are still being written', async () => {
    const items = page(5_000);
    const { deps, events, sent } = fakeDeps();
    const queued = await queueUploadTasks(deps, 'run-1', 'job-1', items);
    expect(queued).toBe(sent.length);
    // Every file queued exactly once.
    const names = sent.flatMap((t) => (t.v === 2 ? t.files.map((f) => f.blobName) : [t.blobName]));
    expect(names.sort()).toEqual(items.map((i) => i.name).sort());
    // The page's rows went in several writes, and sending began before the last of them ended.
    const ends = events.filter((e) => e.startsWith('write-end')).length;
    expect(ends).toBeGreaterThan(3);
    expect(events.indexOf('send')).toBeLessThan(events.lastIndexOf(`write-end:${ends - 1}`));
    // Never more than two groups' writes under way at once (a group may write sets and a single).
    let open = 0;
    let most = 0;
    for (const e of events) {
      if (e.startsWith('write-start')) most = Math.max(most, ++open);
      if (e.startsWith('write-end')) open -= 1;
    }
    expect(most).toBeLessThanOrEqual(4);
  });

  it('after a failed write sends no task its rows did not plan, starts no later write, and fails with that error', async () => {
    const { deps, events, sent, written } = fakeDeps(2);
    await expect(queueUploadTasks(deps, 'run-1', 'job-1', page(5_000))).rejects.toThrow('Table write failed');
    expect(sent.length).toBeGreaterThan(0);
    for (const task of sent) expect(written.has(planKey(task))).toBe(true);
    // The writes under way when it failed end; none starts after it.
    await new Promise((r) => setTimeout(r, 50));
    const failedAt = events.indexOf('write-start:2') + 1;
    const after = events.slice(failedAt).filter((e) => e.startsWith('write-start'));
    expect(after.length).toBeLessThanOrEqual(1);
    expect(events.filter((e) => e.startsWith('write-start')).length).toBeLessThan(6);
  });

  it('after a failed send fails with its error only once no write of the page is still under way', async () => {
    const { deps, events } = fakeDeps(undefined, 0);
    await expect(queueUploadTasks(deps, 'run-1', 'job-1', page(5_000))).rejects.toThrow('Queue send failed');
    const starts = events.filter((e) => e.startsWith('write-start')).length;
    expect(starts).toBeGreaterThan(2);
    expect(events.filter((e) => e.startsWith('write-end')).length).toBe(starts);
  });
});
