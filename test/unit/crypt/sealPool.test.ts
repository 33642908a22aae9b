import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { sealBlocksSync, sealedLength, BLOCK_DATA_BYTES, type SealJob } from '../../../src/crypt/blockSeal';
import { SealPool } from '../../../src/crypt/sealPool';
import { sodiumReady } from '../../../src/crypt/secretbox';

const shared = (bytes: number): Buffer => Buffer.from(new SharedArrayBuffer(bytes));

function job(plainBytes: number, nonce = randomBytes(24)): SealJob & { plain: Buffer; cipher: Buffer } {
  const plain = shared(plainBytes);
  randomBytes(plainBytes).copy(plain);
  return { key: randomBytes(32), nonce, plain, cipher: shared(sealedLength(plainBytes)) };
}

/** The same job sealed on this thread (itself checked against crypto_secretbox_easy in blockSeal.test.ts). */
function expected(j: SealJob): Buffer {
  const cipher = Buffer.alloc(j.cipher.length);
  sealBlocksSync({ ...j, cipher });
  return cipher;
}

describe.each([
  ['native addon', true],
  ['WebAssembly build', false],
])('SealPool, workers on the %s', (_name, native) => {
  let pool: SealPool;
  beforeAll(async () => {
    await sodiumReady();
    pool = new SealPool(2, native);
  });
  afterAll(() => pool.close());

  it('fills the boxes exactly as sealing on this thread does, short last block and nonce carry included', async () => {
    for (const [size, nonce] of [
      [1, randomBytes(24)],
      [5 * BLOCK_DATA_BYTES + 7, randomBytes(24)],
      [3 * BLOCK_DATA_BYTES, Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.alloc(22)])],
    ] as const) {
      const j = job(size, Buffer.from(nonce));
      await pool.seal(j);
      expect(j.cipher.equals(expected(j))).toBe(true);
    }
  });

  it('many jobs at once, more than workers: each gets its own boxes, in its own block order', async () => {
    const jobs = Array.from({ length: 7 }, (_, i) => job((i + 1) * BLOCK_DATA_BYTES + i));
    await Promise.all(jobs.map((j) => pool.seal(j)));
    for (const j of jobs) expect(j.cipher.equals(expected(j))).toBe(true);
    expect(pool.workerCount).toBeLessThanOrEqual(2);
  });

  it('seals off the event loop: the loop turns while a large job is sealed', async () => {
    const j = job(64 * 1024 * 1024);
    // Sealed on this thread, the job would finish before any immediate runs; in a worker the
    // event loop turns first. (Counting 1 ms timer ticks measured the machine's speed instead.)
    let turned = false;
    const pending = pool.seal(j);
    setImmediate(() => (turned = true));
    let turnedBeforeSealed = false;
    await pending.then(() => (turnedBeforeSealed = turned));
    expect(turnedBeforeSealed).toBe(true);
    expect(pool.workerCount).toBeGreaterThan(0);
    expect(j.cipher.equals(expected(j))).toBe(true);
  });

  it('refuses buffers a worker cannot share, and a bad job fails its caller only', async () => {
    const plain = randomBytes(10);
    await expect(
      pool.seal({ key: randomBytes(32), nonce: randomBytes(24), plain, cipher: Buffer.alloc(26) }),
    ).rejects.toThrow(TypeError);
    const bad = job(100);
    await expect(pool.seal({ ...bad, key: randomBytes(31) })).rejects.toThrow(RangeError);
    const good = job(100);
    await pool.seal(good);
    expect(good.cipher.equals(expected(good))).toBe(true);
  });

  it('opens in a worker what it sealed, and names the first box that fails', async () => {
    const j = job(4 * BLOCK_DATA_BYTES + 3);
    await pool.seal(j);
    const plain = shared(j.plain.length);
    expect(await pool.open({ key: j.key, nonce: j.nonce, cipher: j.cipher, plain })).toBe(-1);
    expect(plain.equals(j.plain)).toBe(true);
    j.cipher[3 * (BLOCK_DATA_BYTES + 16) + 7] ^= 1;
    expect(await pool.open({ key: j.key, nonce: j.nonce, cipher: j.cipher, plain })).toBe(3);
    await expect(
      pool.open({ key: j.key, nonce: j.nonce, cipher: j.cipher, plain: shared(j.plain.length + 1) }),
    ).rejects.toThrow(RangeError);
    await expect(
      pool.open({ key: j.key.subarray(1), nonce: j.nonce, cipher: j.cipher, plain }),
    ).rejects.toThrow(RangeError);
    await expect(
      pool.open({ key: j.key, nonce: j.nonce.subarray(1), cipher: j.cipher, plain }),
    ).rejects.toThrow(RangeError);
  });

  it('keeps the process alive while it seals, and lets it exit once idle', () => {
    // A process whose only pending work is a seal: it must print the result (a pool unreferenced
    // while busy lets it exit first), then end by itself (one referenced while idle never ends).
    const script = `
      const { SealPool } = require(${JSON.stringify(path.join(__dirname, '../../../src/crypt/sealPool.ts'))});
      const pool = new SealPool(1);
      const plain = Buffer.from(new SharedArrayBuffer(1 << 25));
      const cipher = Buffer.from(new SharedArrayBuffer((1 << 25) + 16 * 512));
      pool.seal({ key: Buffer.alloc(32, 1), nonce: Buffer.alloc(24, 2), plain, cipher })
        .then(() => console.log('sealed ' + cipher.subarray(0, 4).toString('hex')));
    `;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', script], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(out).toMatch(/^sealed [0-9a-f]{8}$/m);
  });

  it('a closed pool fails what was queued and what comes after', async () => {
    const own = new SealPool(1, native);
    const running = own.seal(job(8 * BLOCK_DATA_BYTES));
    const queued = own.seal(job(8 * BLOCK_DATA_BYTES));
    const outcomes = Promise.allSettled([running, queued]);
    await own.close();
    const [, second] = await outcomes;
    expect(second.status).toBe('rejected');
    await expect(own.seal(job(1))).rejects.toThrow(/closed/);
    expect(own.workerCount).toBe(0);
  });
});
