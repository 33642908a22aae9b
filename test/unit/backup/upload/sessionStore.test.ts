import { Checkpointer, type SessionCheckpoints } from '../../../../src/backup/upload/sessionStore';
import type { UploadContinuation } from '../../../../src/backup/upload/types';
import { createLogger, setLogSink } from '../../../../src/log/logger';

const at = (nextOffset: number): UploadContinuation => ({
  uploadUrl: 'https://up.example/session/secret',
  nextOffset,
  hashState: `h${nextOffset}`,
});

/** A store whose writes finish when the test says so. */
function fakeStore(): SessionCheckpoints & {
  saved: number[];
  cleared: number;
  release(): void;
  fail: boolean;
  stored?: UploadContinuation;
} {
  let waiting: Array<() => void> = [];
  const store = {
    saved: [] as number[],
    cleared: 0,
    fail: false,
    stored: undefined as UploadContinuation | undefined,
    load: async () => store.stored,
    save: async (session: UploadContinuation) => {
      await new Promise<void>((resolve) => waiting.push(resolve));
      if (store.fail) throw Object.assign(new Error(`boom ${session.uploadUrl}`), { code: 'Transient' });
      store.saved.push(session.nextOffset);
      store.stored = session;
    },
    clear: async () => {
      store.cleared += 1;
      store.stored = undefined;
    },
    release: () => {
      const all = waiting;
      waiting = [];
      for (const resolve of all) resolve();
    },
  };
  return store;
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('Checkpointer', () => {
  let restore: ReturnType<typeof setLogSink>;
  beforeAll(() => (restore = setLogSink(() => undefined)));
  afterAll(() => setLogSink(restore));

  it('keeps one write in flight and, behind it, only the newest checkpoint', async () => {
    const store = fakeStore();
    const cp = new Checkpointer(store, createLogger());
    cp.save(at(1));
    cp.save(at(2));
    cp.save(at(3));
    cp.save(at(4));
    await tick();
    store.release();
    await tick();
    store.release();
    await cp.flush();
    // 2 and 3 were superseded while 1 was being written.
    expect(store.saved).toEqual([1, 4]);
    expect(store.stored?.nextOffset).toBe(4);
  });

  it('never holds up the caller: save returns before the write finishes', async () => {
    const store = fakeStore();
    const cp = new Checkpointer(store, createLogger());
    cp.save(at(1));
    expect(store.saved).toEqual([]);
    store.release();
    await cp.flush();
    expect(store.saved).toEqual([1]);
  });

  it('a failed write is logged without the URL and the next checkpoint is still written', async () => {
    const lines: string[] = [];
    const previous = setLogSink((line) => lines.push(line));
    try {
      const store = fakeStore();
      const cp = new Checkpointer(store, createLogger());
      store.fail = true;
      cp.save(at(1));
      await tick();
      store.release();
      await cp.flush();
      store.fail = false;
      cp.save(at(2));
      await tick();
      store.release();
      await cp.flush();
      expect(store.saved).toEqual([2]);
      expect(lines.some((l) => l.includes('upload.checkpoint.failed'))).toBe(true);
      expect(lines.join('\n')).not.toContain('up.example');
    } finally {
      setLogSink(previous);
    }
  });

  it('clear drops a checkpoint still waiting, waits for the write in flight, then clears', async () => {
    const store = fakeStore();
    const cp = new Checkpointer(store, createLogger());
    cp.save(at(1));
    cp.save(at(2));
    await tick();
    const cleared = cp.clear();
    store.release();
    await cleared;
    expect(store.saved).toEqual([1]);
    expect(store.cleared).toBe(1);
    expect(store.stored).toBeUndefined();
  });

  it('an unreadable store means starting afresh, not failing the file', async () => {
    const store = fakeStore();
    store.load = async () => {
      throw new Error('table down');
    };
    expect(await new Checkpointer(store, createLogger()).load()).toBeUndefined();
  });
});
