import { randomBytes } from 'node:crypto';
import sodium from 'libsodium-wrappers';
import {
  BLOCK_DATA_BYTES,
  incrementNonce,
  openBlocksInWasm,
  openBlocksNatively,
  openBlocksSync,
  openedLength,
  sealBlocksInWasm,
  sealBlocksNatively,
  sealBlocksSync,
  sealedLength,
  sealHere,
  type OpenJob,
  type SealJob,
} from '../../../src/crypt/blockSeal';
import { nativeSodium } from '../../../src/crypt/nativeSecretbox';
import { nonceAdd } from '../../../src/crypt/nonce';
import { sodiumReady } from '../../../src/crypt/secretbox';

/** The boxes the wrappers' own crypto_secretbox_easy makes, block by block: the independent reference. */
function reference(key: Uint8Array, nonce: Uint8Array, plain: Buffer): Buffer {
  const boxes: Buffer[] = [];
  for (let at = 0, i = 0; at < plain.length; at += BLOCK_DATA_BYTES, i++) {
    const block = plain.subarray(at, Math.min(plain.length, at + BLOCK_DATA_BYTES));
    boxes.push(Buffer.from(sodium.crypto_secretbox_easy(block, nonceAdd(nonce, i), key)));
  }
  return Buffer.concat(boxes);
}

beforeAll(() => sodiumReady());

// Every loop that seals or opens, each checked against the wrappers' own secretbox: the one the
// process uses, the WebAssembly build's and the native addon's.
const sealers: Array<[string, (job: SealJob) => void]> = [
  ['sealBlocksSync', sealBlocksSync],
  ['in WebAssembly', sealBlocksInWasm],
  ['natively', (job) => sealBlocksNatively(job, nativeSodium!)],
];
const openers: Array<[string, (job: OpenJob) => number]> = [
  ['openBlocksSync', openBlocksSync],
  ['in WebAssembly', openBlocksInWasm],
  ['natively', (job) => openBlocksNatively(job, nativeSodium!)],
];

it('the native addon loads on this platform (linux-x64 has a prebuild)', () => {
  expect(nativeSodium).toBeDefined();
});

describe('incrementNonce', () => {
  it('adds one in place like nonceAdd(n, 1), carrying across bytes and wrapping at 2^192', () => {
    const cases = [
      Buffer.alloc(24),
      Buffer.concat([Buffer.from([0xff, 0xff, 0x03]), Buffer.alloc(21)]),
      Buffer.alloc(24, 0xff),
      randomBytes(24),
    ];
    for (const nonce of cases) {
      const expected = nonceAdd(nonce, 1);
      const bumped = Buffer.from(nonce);
      incrementNonce(bumped);
      expect(bumped.toString('hex')).toBe(expected.toString('hex'));
    }
  });

  it('works on a nonce inside a larger buffer and leaves the bytes around it alone', () => {
    const memory = Buffer.alloc(40, 0xff);
    incrementNonce(memory, 8);
    expect(memory.subarray(0, 8).equals(Buffer.alloc(8, 0xff))).toBe(true);
    expect(memory.subarray(8, 32).equals(Buffer.alloc(24))).toBe(true);
    expect(memory.subarray(32).equals(Buffer.alloc(8, 0xff))).toBe(true);
  });
});

describe.each(sealers)('sealing, %s', (_name, sealBlocksSync) => {
  const key = randomBytes(32);

  it.each([
    ['one short block', 1],
    ['one whole block', BLOCK_DATA_BYTES],
    ['a whole block and one byte', BLOCK_DATA_BYTES + 1],
    ['five blocks and a tail', 5 * BLOCK_DATA_BYTES + 12_345],
  ])('%s: the same boxes as crypto_secretbox_easy under nonce + i', (_name, size) => {
    const plain = randomBytes(size);
    const nonce = randomBytes(24);
    const cipher = Buffer.alloc(sealedLength(size));
    sealBlocksSync({ key, nonce, plain, cipher });
    expect(cipher.equals(reference(key, nonce, plain))).toBe(true);
  });

  it('carries the nonce across its low bytes from block to block', () => {
    // Block 1 of this nonce is 00 00 01 ..., reached only by a carry through two bytes.
    const nonce = Buffer.concat([Buffer.from([0xff, 0xff]), Buffer.alloc(22)]);
    const plain = randomBytes(3 * BLOCK_DATA_BYTES);
    const cipher = Buffer.alloc(sealedLength(plain.length));
    sealBlocksSync({ key, nonce, plain, cipher });
    expect(cipher.equals(reference(key, nonce, plain))).toBe(true);
  });

  it('leaves its inputs unchanged and refuses an output of the wrong size or a bad key or nonce', async () => {
    const plain = randomBytes(BLOCK_DATA_BYTES + 5);
    const copy = Buffer.from(plain);
    const nonce = randomBytes(24);
    const nonceCopy = Buffer.from(nonce);
    await sealHere({ key, nonce, plain, cipher: Buffer.alloc(sealedLength(plain.length)) });
    expect(plain.equals(copy)).toBe(true);
    expect(nonce.equals(nonceCopy)).toBe(true);
    expect(() => sealBlocksSync({ key, nonce, plain, cipher: Buffer.alloc(plain.length + 16) })).toThrow(
      RangeError,
    );
    const cipher = Buffer.alloc(sealedLength(plain.length));
    expect(() => sealBlocksSync({ key: key.subarray(1), nonce, plain, cipher })).toThrow(RangeError);
    expect(() => sealBlocksSync({ key, nonce: nonce.subarray(1), plain, cipher })).toThrow(RangeError);
  });

  it('sizes: 16 bytes of tag per block, a short last block counted once', () => {
    expect(sealedLength(0)).toBe(0);
    expect(sealedLength(1)).toBe(17);
    expect(sealedLength(BLOCK_DATA_BYTES)).toBe(BLOCK_DATA_BYTES + 16);
    expect(sealedLength(BLOCK_DATA_BYTES + 1)).toBe(BLOCK_DATA_BYTES + 1 + 32);
  });
});

describe.each(openers)('opening, %s', (_name, openBlocksSync) => {
  const key = randomBytes(32);

  it('opens what the wrappers sealed, block by block, into one buffer', () => {
    for (const size of [1, BLOCK_DATA_BYTES, 4 * BLOCK_DATA_BYTES + 99]) {
      const plain = randomBytes(size);
      const nonce = Buffer.concat([Buffer.from([0xff]), randomBytes(23)]);
      const cipher = reference(key, nonce, plain);
      const out = Buffer.alloc(openedLength(cipher.length));
      expect(openBlocksSync({ key, nonce, cipher, plain: out })).toBe(-1);
      expect(out.equals(plain)).toBe(true);
    }
  });

  it('names the first box that fails: a changed byte, boxes swapped, a wrong key', () => {
    const plain = randomBytes(3 * BLOCK_DATA_BYTES);
    const nonce = randomBytes(24);
    const cipher = reference(key, nonce, plain);
    const out = Buffer.alloc(plain.length);
    const changed = Buffer.from(cipher);
    changed[2 * (BLOCK_DATA_BYTES + 16) + 100] ^= 1;
    expect(openBlocksSync({ key, nonce, cipher: changed, plain: out })).toBe(2);
    const box = BLOCK_DATA_BYTES + 16;
    const swapped = Buffer.concat([
      cipher.subarray(box, 2 * box),
      cipher.subarray(0, box),
      cipher.subarray(2 * box),
    ]);
    expect(openBlocksSync({ key, nonce, cipher: swapped, plain: out })).toBe(0);
    expect(openBlocksSync({ key: randomBytes(32), nonce, cipher, plain: out })).toBe(0);
  });

  it('refuses a job with a short key or nonce, or a plain buffer of the wrong size', () => {
    const plain = randomBytes(100);
    const nonce = randomBytes(24);
    const cipher = reference(key, nonce, plain);
    const out = Buffer.alloc(plain.length);
    expect(() => openBlocksSync({ key: key.subarray(1), nonce, cipher, plain: out })).toThrow(RangeError);
    expect(() => openBlocksSync({ key, nonce: nonce.subarray(1), cipher, plain: out })).toThrow(RangeError);
    expect(() => openBlocksSync({ key, nonce, cipher, plain: Buffer.alloc(101) })).toThrow(RangeError);
    expect(openBlocksSync({ key, nonce, cipher, plain: out })).toBe(-1);
  });

  it('sizes: a tail of 16 bytes or less cannot be a box', () => {
    expect(openedLength(0)).toBe(0);
    expect(openedLength(17)).toBe(1);
    expect(openedLength(BLOCK_DATA_BYTES + 16 + 17)).toBe(BLOCK_DATA_BYTES + 1);
    expect(() => openedLength(16)).toThrow(RangeError);
    expect(() => openedLength(BLOCK_DATA_BYTES + 16 + 16)).toThrow(RangeError);
  });
});
