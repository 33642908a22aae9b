import { BATCH_LIMITS, parseUploadTask, type UploadTask } from '../../../src/backup/messages';
import { uploadTasks } from '../../../src/backup/uploadTasks';
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

  it('sends a lone small file as a single-file task', () => {
    expect(uploadTasks('run-1', 'job-1', [item('only', 5)], 4 * MiB).map(describeTask)).toEqual(['one:only']);
  });
});
