// The sealing worker's code, as plain CommonJS text run with `eval: true`. A worker file would
// have to exist as JavaScript wherever the app runs (tsc's dist/, tsx in development, ts-jest in
// tests, each resolving .ts differently); text runs the same in all of them. It holds the loops of
// ./blockSeal.ts (native, and WebAssembly over the same raw libsodium calls): keep them in step. Both are
// checked against rclone's vectors and against each other (test/unit/crypt/sealPool.test.ts).
//
// Protocol: the parent posts { id, op, key, nonce, plain, cipher } with `plain` and `cipher` views
// of SharedArrayBuffers (nothing is copied between threads); op 'seal' fills `cipher`, op 'open'
// fills `plain` (openBlocksSync's loop); the worker answers { id, bad } or { id, error }, `bad`
// being the first box that failed to open, or -1.
export const SEAL_WORKER_SOURCE = String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const BLOCK = 64 * 1024;
const TAG = 16;
const NONCE = 24;
const KEY = 32;
function increment(bytes, at) {
  for (let i = at; i < at + NONCE; i++) {
    bytes[i] = (bytes[i] + 1) & 0xff;
    if (bytes[i] !== 0) break;
  }
}
function checkSeal(task) {
  const blocks = Math.ceil(task.plain.length / BLOCK);
  if (task.key.length !== KEY || task.nonce.length !== NONCE || task.cipher.length !== task.plain.length + blocks * TAG)
    throw new Error('malformed task');
}
function checkOpen(task) {
  const boxes = Math.ceil(task.cipher.length / (BLOCK + TAG));
  if (task.key.length !== KEY || task.nonce.length !== NONCE || task.plain.length !== task.cipher.length - boxes * TAG)
    throw new Error('malformed task');
}
function serve(seal, open) {
  parentPort.on('message', (task) => {
    try {
      const bad = task.op === 'open' ? open(task) : (seal(task), -1);
      parentPort.postMessage({ id: task.id, bad });
    } catch (error) {
      parentPort.postMessage({ id: task.id, error: String((error && error.message) || error) });
    }
  });
}
// The native addon when the parent loaded it (sealBlocksNatively's and openBlocksNatively's loops).
if (workerData.nativePath) {
  const native = require(workerData.nativePath);
  serve(
    (task) => {
      checkSeal(task);
      const nonce = Uint8Array.from(task.nonce);
      for (let at = 0, out = 0; at < task.plain.length; at += BLOCK) {
        const length = Math.min(BLOCK, task.plain.length - at);
        native.crypto_secretbox_easy(task.cipher.subarray(out, out + length + TAG), task.plain.subarray(at, at + length), nonce, task.key);
        out += length + TAG;
        increment(nonce, 0);
      }
    },
    (task) => {
      checkOpen(task);
      const nonce = Uint8Array.from(task.nonce);
      for (let at = 0, out = 0, index = 0; at < task.cipher.length; index++) {
        const length = Math.min(BLOCK + TAG, task.cipher.length - at);
        if (!native.crypto_secretbox_open_easy(task.plain.subarray(out, out + length - TAG), task.cipher.subarray(at, at + length), nonce, task.key))
          return index;
        out += length - TAG;
        at += length;
        increment(nonce, 0);
      }
      return -1;
    },
  );
} else require(workerData.sodiumPath).ready.then(() => {
  const sodium = require(workerData.sodiumPath);
  const raw = sodium.libsodium;
  const plainAt = raw._malloc(BLOCK);
  const cipherAt = raw._malloc(BLOCK + TAG);
  const nonceAt = raw._malloc(NONCE);
  const keyAt = raw._malloc(KEY);
  function seal(task) {
    checkSeal(task);
    const heap = raw.HEAPU8;
    heap.set(task.key, keyAt);
    heap.set(task.nonce, nonceAt);
    try {
      for (let at = 0, out = 0; at < task.plain.length; at += BLOCK) {
        const length = Math.min(BLOCK, task.plain.length - at);
        heap.set(task.plain.subarray(at, at + length), plainAt);
        if (raw._crypto_secretbox_easy(cipherAt, plainAt, length, 0, nonceAt, keyAt) !== 0)
          throw new Error('secretbox refused to seal a block');
        task.cipher.set(heap.subarray(cipherAt, cipherAt + length + TAG), out);
        out += length + TAG;
        increment(heap, nonceAt);
      }
    } finally {
      heap.fill(0, keyAt, keyAt + KEY);
      heap.fill(0, plainAt, plainAt + BLOCK);
    }
  }
  // Returns the index of the first box that does not authenticate, or -1 (openBlocksSync's answer).
  function open(task) {
    const box = BLOCK + TAG;
    checkOpen(task);
    const heap = raw.HEAPU8;
    heap.set(task.key, keyAt);
    heap.set(task.nonce, nonceAt);
    try {
      for (let at = 0, out = 0, index = 0; at < task.cipher.length; index++) {
        const length = Math.min(box, task.cipher.length - at);
        heap.set(task.cipher.subarray(at, at + length), cipherAt);
        if (raw._crypto_secretbox_open_easy(plainAt, cipherAt, length, 0, nonceAt, keyAt) !== 0) return index;
        task.plain.set(heap.subarray(plainAt, plainAt + length - TAG), out);
        out += length - TAG;
        at += length;
        increment(heap, nonceAt);
      }
      return -1;
    } finally {
      heap.fill(0, keyAt, keyAt + KEY);
      heap.fill(0, plainAt, plainAt + BLOCK);
    }
  }
  serve(seal, open);
});
`;
