// The emulator's own QuickXorHash, written independently of src/graph/quickXorHash.ts (a column
// fold and a bit spread, no shifting lanes) so that tests comparing the two actually compare
// something. Byte i lands at bit (i * 11) mod 160; the length is XORed into the last 8 bytes
// little-endian.

/** Bytes 160 apart share their bit position; 160 bytes are 40 32-bit words. */
const PERIOD = 160;
const PERIOD_WORDS = PERIOD / 4;

export function quickXorHash(chunks: readonly Uint8Array[]): string {
  // Column-fold first: XOR every byte into its column (its index mod 160).
  const columns = new Uint8Array(PERIOD);
  const columnWords = new Uint32Array(columns.buffer);
  let index = 0;
  for (const chunk of chunks) {
    let i = 0;
    // Byte by byte up to a period boundary, then whole periods as words when the chunk's memory
    // allows a word view there: the emulator hashes every uploaded file, and byte by byte it cost
    // a third of its CPU receiving a large upload. XOR is bytewise, so word order does not matter.
    while (i < chunk.length && index !== 0) {
      columns[index] ^= chunk[i++];
      index = index === PERIOD - 1 ? 0 : index + 1;
    }
    const periods = Math.floor((chunk.length - i) / PERIOD);
    if (periods > 0 && (chunk.byteOffset + i) % 4 === 0) {
      const words = new Uint32Array(chunk.buffer, chunk.byteOffset + i, periods * PERIOD_WORDS);
      for (let w = 0; w < words.length; w += PERIOD_WORDS)
        for (let c = 0; c < PERIOD_WORDS; c++) columnWords[c] ^= words[w + c];
      i += periods * PERIOD;
    }
    for (; i < chunk.length; i++) {
      columns[index] ^= chunk[i];
      index = index === PERIOD - 1 ? 0 : index + 1;
    }
  }
  const length = chunks.reduce((n, c) => n + c.length, 0);
  const block = new Uint8Array(20);
  for (let column = 0; column < PERIOD; column++) {
    for (let bit = 0; bit < 8; bit++) {
      if ((columns[column] >> bit) & 1) {
        const position = (column * 11 + bit) % PERIOD;
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
