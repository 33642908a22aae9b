import { acquireScratch, idleScratchCount, releaseScratch } from '../../../src/crypt/scratch';

describe('crypt scratch buffers', () => {
  it('hands out shared memory of exactly the asked lengths, and reuses a released pair that is large enough', () => {
    const first = acquireScratch(1000, 1016);
    expect(first.plain.length).toBe(1000);
    expect(first.cipher.length).toBe(1016);
    expect(first.plain.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(first.cipher.buffer).toBeInstanceOf(SharedArrayBuffer);
    releaseScratch(first);
    const again = acquireScratch(10, 26);
    expect(again.plainMemory).toBe(first.plainMemory);
    expect(again.plain.length).toBe(10);
    const larger = acquireScratch(5000, 5016);
    expect(larger.plainMemory).not.toBe(first.plainMemory);
    releaseScratch(again);
    releaseScratch(larger);
  });

  it('refuses a pair released twice, and keeps at most two idle, the largest', () => {
    const a = acquireScratch(100, 116);
    releaseScratch(a);
    expect(() => releaseScratch(a)).toThrow(/twice/);
    const held = [acquireScratch(1, 17), acquireScratch(1, 17), acquireScratch(9000, 9016)];
    for (const s of held) releaseScratch(s);
    expect(idleScratchCount()).toBe(2);
    expect(acquireScratch(9000, 9016).plainMemory).toBe(held[2].plainMemory);
  });
});
