// The read-ahead logic alone, with a fake reader whose downloads the test completes by hand, so
// the bound on chunks in flight is observed exactly (no timing involved). Azurite-backed tests of
// the same path are in blobSource.test.ts.
import { readAhead, type ReadRange } from '../../../src/sources/readAhead';

interface Call {
  offset: number;
  count: number;
  signal: AbortSignal;
  resolve: (data: Buffer) => void;
  reject: (error: unknown) => void;
}

function controlledReader(): { read: ReadRange; calls: Call[]; waitForCall: (n: number) => Promise<Call> } {
  const calls: Call[] = [];
  const waiters: Array<() => void> = [];
  const read: ReadRange = (offset, count, signal) =>
    new Promise<Buffer>((resolve, reject) => {
      calls.push({ offset, count, signal, resolve, reject });
      waiters.splice(0).forEach((wake) => wake());
    });
  const waitForCall = async (n: number): Promise<Call> => {
    while (calls.length <= n) await new Promise<void>((wake) => waiters.push(wake));
    return calls[n];
  };
  return { read, calls, waitForCall };
}

const bytes = (call: Call, fill: number): Buffer => Buffer.alloc(call.count, fill);

describe('bounded read-ahead', () => {
  it('downloads chunk n+1 while chunk n is consumed, and never chunk n+2', async () => {
    const { read, calls, waitForCall } = controlledReader();
    const chunks = readAhead(read, { size: 35, chunkSize: 10 });

    const first = chunks.next();
    (await waitForCall(0)).resolve(bytes(calls[0], 0));
    expect((await first).value).toEqual({ offset: 0, data: Buffer.alloc(10, 0) });
    // The consumer holds chunk 0: chunk 1 is already requested, chunk 2 is not.
    expect(calls.map((c) => c.offset)).toEqual([0, 10]);

    calls[1].resolve(bytes(calls[1], 1));
    await Promise.resolve(); // even once chunk 1 has arrived, nothing more starts until asked
    expect(calls).toHaveLength(2);

    expect((await chunks.next()).value.offset).toBe(10);
    expect(calls.map((c) => c.offset)).toEqual([0, 10, 20]);
    calls[2].resolve(bytes(calls[2], 2));
    expect((await chunks.next()).value.offset).toBe(20);
    // The last, short chunk asks for exactly the bytes left.
    expect(calls[3]).toMatchObject({ offset: 30, count: 5 });
    calls[3].resolve(bytes(calls[3], 3));
    expect((await chunks.next()).value.data).toEqual(Buffer.alloc(5, 3));
    expect((await chunks.next()).done).toBe(true);
    expect(calls).toHaveLength(4);
  });

  it('yields nothing for an empty range and starts at startOffset', async () => {
    const { read, calls } = controlledReader();
    const none: unknown[] = [];
    for await (const chunk of readAhead(read, { size: 0, chunkSize: 10 })) none.push(chunk);
    for await (const chunk of readAhead(read, { size: 30, chunkSize: 10, startOffset: 30 })) none.push(chunk);
    expect(none).toEqual([]);
    expect(calls).toHaveLength(0);

    const resumed = readAhead(read, { size: 30, chunkSize: 10, startOffset: 20 }).next();
    await Promise.resolve();
    calls[0].resolve(bytes(calls[0], 9));
    expect((await resumed).value.offset).toBe(20);
  });

  it('reports a download that failed while the consumer was busy when the consumer reaches it', async () => {
    const unhandled = jest.fn();
    process.on('unhandledRejection', unhandled);
    try {
      const { read, calls, waitForCall } = controlledReader();
      const chunks = readAhead(read, { size: 20, chunkSize: 10 });
      const first = chunks.next();
      (await waitForCall(0)).resolve(bytes(calls[0], 0));
      await first;
      (await waitForCall(1)).reject(new Error('blob changed'));
      await new Promise((done) => setImmediate(done)); // let an unhandled rejection surface, if any
      await expect(chunks.next()).rejects.toThrow('blob changed');
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });

  it('cancels the download in flight when the consumer stops early', async () => {
    const { read, calls, waitForCall } = controlledReader();
    const chunks = readAhead(read, { size: 100, chunkSize: 10 });
    const first = chunks.next();
    (await waitForCall(0)).resolve(bytes(calls[0], 0));
    await first;
    expect(calls[1].signal.aborted).toBe(false);
    await chunks.return(undefined);
    expect(calls[1].signal.aborted).toBe(true);
  });

  it('fails on a short read instead of yielding a hole', async () => {
    const { read, waitForCall } = controlledReader();
    const first = readAhead(read, { size: 20, chunkSize: 10 }).next();
    (await waitForCall(0)).resolve(Buffer.alloc(3));
    await expect(first).rejects.toThrow(/expected 10 bytes, got 3/);
  });
});
