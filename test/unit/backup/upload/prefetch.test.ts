import { ChunkPrefetcher } from '../../../../src/backup/upload/prefetch';

describe('read-ahead', () => {
  function source(total: number): {
    reads: Array<[number, number]>;
    read: (o: number, c: number) => Promise<Buffer>;
  } {
    const reads: Array<[number, number]> = [];
    return {
      reads,
      read: async (offset, count) => {
        reads.push([offset, count]);
        return Buffer.alloc(Math.min(count, total - offset), offset & 0xff);
      },
    };
  }

  it('starts reading chunk n+1 when chunk n is handed out, and no further', async () => {
    const src = source(25);
    const prefetch = new ChunkPrefetcher(src.read, 25, 10);
    await prefetch.take(0);
    expect(src.reads).toEqual([
      [0, 10],
      [10, 10],
    ]);
    await prefetch.take(10);
    expect(src.reads).toEqual([
      [0, 10],
      [10, 10],
      [20, 5],
    ]);
    expect((await prefetch.take(20)).length).toBe(5);
    expect(src.reads).toHaveLength(3);
  });

  it('hands the same chunk again without reading it again (a retry)', async () => {
    const src = source(30);
    const prefetch = new ChunkPrefetcher(src.read, 30, 10);
    await prefetch.take(0);
    await prefetch.take(0);
    expect(src.reads).toHaveLength(2);
  });

  it('fails when the source returns fewer bytes than asked (it changed)', async () => {
    const prefetch = new ChunkPrefetcher(async () => Buffer.alloc(3), 30, 10);
    await expect(prefetch.take(0)).rejects.toMatchObject({ code: 'UpstreamError' });
  });
});
