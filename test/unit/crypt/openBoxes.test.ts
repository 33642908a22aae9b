import { randomBytes } from 'node:crypto';
import { BLOCK_DATA_BYTES, sealBlocksSync, sealedLength } from '../../../src/crypt/blockSeal';
import { openBoxes } from '../../../src/crypt/openBoxes';
import { closeSharedSealPool } from '../../../src/crypt/sealPool';
import { sodiumReady } from '../../../src/crypt/secretbox';

describe('openBoxes', () => {
  const key = randomBytes(32);
  const nonce = randomBytes(24);
  const plain = randomBytes(40 * BLOCK_DATA_BYTES + 11);
  const cipher = Buffer.alloc(sealedLength(plain.length));
  beforeAll(async () => {
    await sodiumReady();
    sealBlocksSync({ key, nonce, plain, cipher });
  });
  afterAll(() => closeSharedSealPool());

  it('opens the same bytes on this thread and in a worker, and names the same bad box', async () => {
    for (const inWorker of [false, true]) {
      const opened = await openBoxes(key, nonce, cipher, { inWorker });
      expect(opened.bad).toBe(-1);
      expect(opened.plain.equals(plain)).toBe(true);
      const changed = Buffer.from(cipher);
      changed[17 * (BLOCK_DATA_BYTES + 16) + 40] ^= 4;
      expect((await openBoxes(key, nonce, changed, { inWorker })).bad).toBe(17);
    }
  });

  it('opens a large run off the event loop by default', async () => {
    await openBoxes(key, nonce, cipher); // starts the worker
    const big = Buffer.alloc(sealedLength(16 * 1024 * 1024));
    sealBlocksSync({ key, nonce, plain: Buffer.alloc(16 * 1024 * 1024, 7), cipher: big });
    // Opened on this thread, the open would finish inside the call's own microtasks, before any
    // immediate runs; in a worker the event loop turns first. (Counting 1 ms timer ticks is no
    // measure: the native build opens 16 MiB in about 10 ms.)
    let turned = false;
    const pending = openBoxes(key, nonce, big);
    setImmediate(() => (turned = true));
    let turnedBeforeOpened = false;
    const opened = await pending.then((result) => ((turnedBeforeOpened = turned), result));
    expect(opened.bad).toBe(-1);
    expect(turnedBeforeOpened).toBe(true);
  });
});
