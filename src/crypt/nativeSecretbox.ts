// libsodium's own compiled secretbox (sodium-native), used when this platform has its prebuilt
// addon. The WebAssembly build (libsodium-wrappers) sealed 250–300 MiB/s a core on this machine
// and the native one about 1,500: on two cores the WebAssembly build alone held an encrypted
// upload to about half of a plain one. It also seals in place: a box goes straight into the
// caller's output buffer, with no copy into and out of a WebAssembly heap. Platforms without a
// prebuild (or a runtime that refuses native addons) keep the WebAssembly build: same boxes.

/** The calls of sodium-native used here (it ships no typings). */
export interface NativeSodium {
  crypto_secretbox_easy(c: Uint8Array, m: Uint8Array, n: Uint8Array, k: Uint8Array): void;
  crypto_secretbox_open_easy(m: Uint8Array, c: Uint8Array, n: Uint8Array, k: Uint8Array): boolean;
}

function load(): { sodium: NativeSodium; path: string } | undefined {
  try {
    const path = require.resolve('sodium-native');
    // A static import would fail the whole module on a platform without the prebuild.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sodium = require(path) as NativeSodium;
    return typeof sodium.crypto_secretbox_easy === 'function' ? { sodium, path } : undefined;
  } catch {
    return undefined;
  }
}

const loaded = load();

/** The native secretbox, or undefined where only the WebAssembly build runs. */
export const nativeSodium: NativeSodium | undefined = loaded?.sodium;

/** Where the addon's module resolves, for the sealing workers to load it too; undefined without it. */
export const nativeSodiumPath: string | undefined = loaded?.path;
