import { PagePrefetch, type PageRef } from '../../../src/backup/pagePrefetch';
import { ManualClock } from '../../../src/runtime/clock';
import { validateJob, type Job } from '../../../src/store/jobs';
import type { SourcePage } from '../../../src/sources/types';

const job = (container = 'photos'): Job =>
  validateJob(
    {
      name: 'prefetch',
      connectionId: 'c1',
      source: { container },
      destinationFolder: 'Backup',
      schedule: '0 0 2 * * *',
    },
    undefined,
    'job-1',
    new Date('2026-03-01T00:00:00Z'),
  );

const ref = (over: Partial<PageRef> = {}): PageRef => ({
  job: job(),
  runId: 'run-1',
  page: 1,
  continuationToken: 'token-1',
  pageSize: 5000,
  ...over,
});

const listed = (name: string): SourcePage => ({
  items: [{ name, size: 1, etag: '"e"', lastModified: new Date(0), facts: {} } as never],
});

/** A lister that counts its calls and answers `page`. */
function lister(page: SourcePage | Error): { list: () => Promise<SourcePage>; calls: () => number } {
  let calls = 0;
  return {
    list: async () => {
      calls += 1;
      if (page instanceof Error) throw page;
      return page;
    },
    calls: () => calls,
  };
}

describe('PagePrefetch', () => {
  it('answers the page it listed ahead, once, without listing again', async () => {
    const prefetch = new PagePrefetch(new ManualClock());
    const ahead = lister(listed('ahead.txt'));
    prefetch.start(ref(), ahead.list);
    const now = lister(listed('now.txt'));
    expect((await prefetch.take(ref(), now.list)).items[0].name).toBe('ahead.txt');
    expect([ahead.calls(), now.calls()]).toEqual([1, 0]);
    // Taken once: the same page asked again is listed then.
    expect((await prefetch.take(ref(), now.list)).items[0].name).toBe('now.txt');
  });

  it.each<[string, Partial<PageRef>]>([
    ['another run', { runId: 'run-2' }],
    ['another page', { page: 2 }],
    ['another continuation token', { continuationToken: 'token-x' }],
    ['the first page (no token)', { continuationToken: undefined }],
    ['another page size', { pageSize: 100 }],
    ['another source container', { job: job('other') }],
  ])('lists anew for %s', async (_, over) => {
    const prefetch = new PagePrefetch(new ManualClock());
    prefetch.start(ref(), lister(listed('ahead.txt')).list);
    const now = lister(listed('now.txt'));
    expect((await prefetch.take(ref(over), now.list)).items[0].name).toBe('now.txt');
    expect(now.calls()).toBe(1);
  });

  it('lists anew when the page listed ahead is older than its maximum age', async () => {
    const clock = new ManualClock();
    const prefetch = new PagePrefetch(clock, 4, 30_000);
    prefetch.start(ref(), lister(listed('ahead.txt')).list);
    clock.advance(30_001);
    const now = lister(listed('now.txt'));
    expect((await prefetch.take(ref(), now.list)).items[0].name).toBe('now.txt');
  });

  it('lists anew when the listing ahead failed, and the failure is never unhandled', async () => {
    const prefetch = new PagePrefetch(new ManualClock());
    prefetch.start(ref(), lister(new Error('connection reset')).list);
    await new Promise((resolve) => setImmediate(resolve));
    const now = lister(listed('now.txt'));
    expect((await prefetch.take(ref(), now.list)).items[0].name).toBe('now.txt');
    expect(now.calls()).toBe(1);
  });

  it('holds at most maxPages pages, dropping the oldest', async () => {
    const prefetch = new PagePrefetch(new ManualClock(), 2);
    for (const runId of ['a', 'b', 'c'])
      prefetch.start(ref({ runId }), lister(listed(`ahead-${runId}`)).list);
    const names = [];
    for (const runId of ['a', 'b', 'c'])
      names.push((await prefetch.take(ref({ runId }), lister(listed('now')).list)).items[0].name);
    expect(names).toEqual(['now', 'ahead-b', 'ahead-c']);
  });

  it('does not list a page twice ahead', () => {
    const prefetch = new PagePrefetch(new ManualClock());
    const ahead = lister(listed('ahead.txt'));
    prefetch.start(ref(), ahead.list);
    prefetch.start(ref(), ahead.list);
    expect(ahead.calls()).toBe(1);
  });
});
