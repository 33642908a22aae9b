// EME (ECB-Mix-ECB, Halevi and Rogaway 2003), the wide-block mode rclone encrypts each name segment
// with: deterministic (the same name always gives the same ciphertext, which a listing needs) and
// without shared prefixes between names that start alike. Hand-written after rfjakob/eme (eme.go),
// the Go package rclone uses, because npm has no EME package (`npm view` of eme, eme-mode, aes-eme
// and node-eme all 404; the registry list here holds only Encrypted Media Extensions players). The
// block cipher is Node's AES in ECB mode, each ECB pass done in one call for all blocks.
import { createCipheriv, createDecipheriv } from 'node:crypto';

export type EmeDirection = 'encrypt' | 'decrypt';

const BLOCK = 16;
/** EME is defined for 1 to 128 blocks (16 to 2048 bytes). */
export const EME_MAX_BYTES = 128 * BLOCK;

function aesName(key: Uint8Array): string {
  if (key.length !== 16 && key.length !== 24 && key.length !== 32)
    throw new RangeError('AES keys are 16, 24 or 32 bytes');
  return `aes-${key.length * 8}-ecb`;
}

function ecb(key: Uint8Array, direction: EmeDirection, data: Buffer): Buffer {
  const cipher =
    direction === 'encrypt'
      ? createCipheriv(aesName(key), key, null)
      : createDecipheriv(aesName(key), key, null);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(data), cipher.final()]);
}

/** Doubling in GF(2^128) as the EME-32 draft defines it (little-endian bytes, reduction 135). */
function multByTwo(block: Buffer): Buffer {
  const out = Buffer.alloc(BLOCK);
  out[0] = (block[0] << 1) & 0xff;
  if (block[15] >= 128) out[0] ^= 135;
  for (let j = 1; j < BLOCK; j++) out[j] = ((block[j] << 1) & 0xff) | (block[j - 1] >= 128 ? 1 : 0);
  return out;
}

function xorInto(target: Buffer, targetOffset: number, other: Buffer, otherOffset = 0): void {
  for (let i = 0; i < BLOCK; i++) target[targetOffset + i] ^= other[otherOffset + i];
}

/** EME-encrypts or -decrypts `input` (a multiple of 16 bytes, at most 2048) under `key` and `tweak`. */
export function emeTransform(
  key: Uint8Array,
  tweak: Uint8Array,
  input: Uint8Array,
  direction: EmeDirection,
): Buffer {
  if (tweak.length !== BLOCK) throw new RangeError('the EME tweak is 16 bytes');
  if (input.length % BLOCK !== 0 || input.length === 0 || input.length > EME_MAX_BYTES) {
    throw new RangeError(`EME works on 16 to ${EME_MAX_BYTES} bytes in 16-byte blocks, not ${input.length}`);
  }
  const m = input.length / BLOCK;
  const T = Buffer.from(tweak);

  // L_j = 2^(j+1) * AES-enc(K, 0): always the forward cipher, in both directions.
  const L: Buffer[] = [];
  let Li = ecb(key, 'encrypt', Buffer.alloc(BLOCK));
  for (let j = 0; j < m; j++) {
    Li = multByTwo(Li);
    L.push(Li);
  }

  // PPP_j = AES(K, P_j xor L_j)
  const PP = Buffer.from(input);
  for (let j = 0; j < m; j++) xorInto(PP, j * BLOCK, L[j]);
  const C = ecb(key, direction, PP);

  // MP = (xor of PPP_j) xor T; MC = AES(K, MP); M = MP xor MC
  const MP = Buffer.from(T);
  for (let j = 0; j < m; j++) xorInto(MP, 0, C, j * BLOCK);
  const MC = ecb(key, direction, MP);
  let M: Buffer = Buffer.from(MP);
  xorInto(M, 0, MC);

  // CCC_j = PPP_j xor 2^(j-1) M for j >= 1; CCC_0 = MC xor T xor (xor of CCC_j, j >= 1)
  for (let j = 1; j < m; j++) {
    M = multByTwo(M);
    xorInto(C, j * BLOCK, M);
  }
  const CCC1 = Buffer.from(MC);
  xorInto(CCC1, 0, T);
  for (let j = 1; j < m; j++) xorInto(CCC1, 0, C, j * BLOCK);
  CCC1.copy(C, 0);

  // C_j = AES(K, CCC_j) xor L_j
  const out = ecb(key, direction, C);
  for (let j = 0; j < m; j++) xorInto(out, j * BLOCK, L[j]);
  return out;
}
