// The emulator's own QuickXorHash, written independently of src/graph/quickXorHash.ts (plain
// byte-at-a-time, no word tricks) so that tests comparing the two actually compare something.
// Byte i lands at bit (i * 11) mod 160; the length is XORed into the last 8 bytes little-endian.

export function quickXorHash(chunks: readonly Uint8Array[]): string {
  // Column-fold first: bytes 160 apart share their bit position, so XOR them together.
  const columns = new Uint8Array(160);
  let index = 0;
  for (const chunk of chunks) {
    for (let i = 0; i < chunk.length; i++) {
      columns[index] ^= chunk[i];
      index = index === 159 ? 0 : index + 1;
    }
  }
  const length = chunks.reduce((n, c) => n + c.length, 0);
  const block = new Uint8Array(20);
  for (let column = 0; column < 160; column++) {
    for (let bit = 0; bit < 8; bit++) {
      if ((columns[column] >> bit) & 1) {
        const position = (column * 11 + bit) % 160;
        block[position >> 3] ^= 1 << (position & 7);
      }
    }
  }
  let rest = BigInt(length);
  for (let b = 12; b < 20; b++) {
    block[b] ^= Number(rest & 0xffn);
    rest >>= 8n;
  }
  return Buffer.from(block).toString('base64');
}
