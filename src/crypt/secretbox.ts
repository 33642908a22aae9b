// NaCl secretbox (XSalsa20-Poly1305), the cipher of every 64 KiB block. Node's crypto has neither
// XSalsa20 nor a bare Poly1305, so a library does it. libsodium-wrappers (libsodium compiled to
// WebAssembly) over tweetnacl (pure JS): sealing one 64 KiB block on this shared 2-core machine ran
// 2–4× faster with libsodium in every run (46–65 against 14–29 MiB/s when it was least loaded;
// @noble/ciphers fell in between), and opening 3–4× faster (70–118 against 19–31 MiB/s). The
// uploads it sits in move about 100 MiB/s, so tweetnacl would cut them to a fraction. Both produce
// byte-identical boxes. The price is an asynchronous start (`sodiumReady`). libsodium's native
// build is faster still and used where it loads (./nativeSecretbox.ts).
import sodium from 'libsodium-wrappers';
import { nativeSodium } from './nativeSecretbox';

/** Tag bytes in front of each sealed block. */
export const SECRETBOX_OVERHEAD = 16;

let ready: Promise<void> | undefined;

/** Resolves once the WebAssembly module is loaded; every function below needs it. */
export function sodiumReady(): Promise<void> {
  ready ??= sodium.ready;
  return ready;
}

/** The plaintext, or undefined when the box does not authenticate under this key and nonce. */
export function open(box: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | undefined {
  if (box.length < SECRETBOX_OVERHEAD) return undefined;
  if (nativeSodium) {
    const plain = new Uint8Array(box.length - SECRETBOX_OVERHEAD);
    return nativeSodium.crypto_secretbox_open_easy(plain, box, nonce, key) ? plain : undefined;
  }
  try {
    return sodium.crypto_secretbox_open_easy(box, nonce, key);
  } catch {
    // libsodium-wrappers throws ("wrong secret key for the given ciphertext") on a bad tag.
    return undefined;
  }
}
