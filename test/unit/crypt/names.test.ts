import { randomBytes } from 'node:crypto';
import emeVectors from '../../vectors/rclone-crypt-eme.json';
import vectors from '../../vectors/rclone-crypt-names.json';
import {
  CryptError,
  createNameCipher,
  deriveKeys,
  emeTransform,
  keysFromBytes,
  nameEncoder,
  remoteNameCipher,
  type FilenameEncoding,
} from '../../../src/crypt';

const zeroKeys = keysFromBytes(Buffer.alloc(80));
const encodings: FilenameEncoding[] = ['base32', 'base64', 'base32768'];
const hex = (s: string): Buffer => Buffer.from(s, 'hex');

describe('EME (rfjakob/eme vectors)', () => {
  it.each(emeVectors.vectors)('$name', (v) => {
    let out = hex(v.in);
    for (let i = 0; i < v.rounds; i++) out = emeTransform(hex(v.key), hex(v.tweak), out, 'encrypt');
    expect(out.toString('hex')).toBe(v.out);
    for (let i = 0; i < v.rounds; i++) out = emeTransform(hex(v.key), hex(v.tweak), out, 'decrypt');
    expect(out.toString('hex')).toBe(v.in);
  });

  it('round-trips every length from 16 to 2048 bytes and refuses others', () => {
    const key = randomBytes(32);
    const tweak = randomBytes(16);
    for (let n = 16; n <= 2048; n += 16) {
      const data = randomBytes(n);
      const enc = emeTransform(key, tweak, data, 'encrypt');
      expect(enc.equals(data)).toBe(false);
      expect(emeTransform(key, tweak, enc, 'decrypt').equals(data)).toBe(true);
    }
    for (const n of [0, 15, 17, 2064])
      expect(() => emeTransform(key, tweak, Buffer.alloc(n), 'encrypt')).toThrow(RangeError);
  });
});

describe.each(encodings)('name encoding %s (rclone TestEncodeFileName*)', (encoding) => {
  const encoder = nameEncoder(encoding);
  const cases = (vectors.encoding as Record<string, string[][]>)[encoding];
  it.each(cases)('%p ⇄ %p', (plain, encoded) => {
    expect(encoder.encode(Buffer.from(plain))).toBe(encoded);
    expect(encoder.decode(encoded).toString()).toBe(plain);
    if (encoding === 'base32') expect(encoder.decode(encoded.toUpperCase()).toString()).toBe(plain);
  });
});

describe('name decoding errors (rclone TestDecodeFileName*)', () => {
  it.each([
    ['base32', '64='],
    ['base32', '!'],
    ['base32', 'hello=hello'],
    ['base64', '64='],
    ['base64', '!'],
    ['base64', 'Hello=Hello'],
    ['base32768', '㼿c'],
    ['base32768', '!'],
    ['base32768', '㻙ⲿ=㻙ⲿ'],
  ] as Array<[FilenameEncoding, string]>)('%s refuses %p', (encoding, text) => {
    expect(() => nameEncoder(encoding).decode(text)).toThrow(CryptError);
  });
});

describe.each(encodings)(
  'standard name encryption, %s (rclone TestEncryptSegment*, TestStandardEncryptFileName*)',
  (encoding) => {
    const names = createNameCipher(zeroKeys, { filenameEncoding: encoding });
    const flat = createNameCipher(zeroKeys, { filenameEncoding: encoding, directoryNameEncryption: false });
    const segments = (vectors.segments as Record<string, string[][]>)[encoding];
    const paths = (vectors.paths as Record<string, Record<string, string[][]>>)[encoding];

    it.each(segments)('segment %p → %p and back', (plain, encrypted) => {
      expect(names.encryptSegment(plain)).toBe(encrypted);
      expect(names.decryptSegment(encrypted)).toBe(plain);
      if (encoding === 'base32') expect(names.decryptSegment(encrypted.toUpperCase())).toBe(plain);
    });

    it.each(paths.directoryNameEncryption)('path %p → %p and back', (plain, encrypted) => {
      expect(names.encryptPath(plain)).toBe(encrypted);
      expect(names.decryptPath(encrypted)).toBe(plain);
      if (!plain.includes('-v2001')) {
        expect(names.encryptDirPath(plain)).toBe(encrypted);
        expect(names.decryptDirPath(encrypted)).toBe(plain);
      }
    });

    it.each(paths.noDirectoryNameEncryption)(
      'without directory encryption %p → %p and back',
      (plain, encrypted) => {
        expect(flat.encryptPath(plain)).toBe(encrypted);
        expect(flat.decryptPath(encrypted)).toBe(plain);
        expect(flat.encryptDirPath(plain)).toBe(plain);
      },
    );

    it('refuses names that do not decrypt (rclone TestDecryptSegment*)', () => {
      const encoder = nameEncoder(encoding);
      const longName =
        encoding === 'base32768' ? '怪'.repeat(1280) : 'a'.repeat(encoding === 'base32' ? 3328 : 2816);
      for (const bad of [
        longName,
        encoder.encode(Buffer.from('a')),
        encoder.encode(Buffer.from('123456789abcdef')),
        encoder.encode(Buffer.from('123456789abcdef0')),
        encoder.encode(Buffer.from('1')) + segments[1][1],
      ]) {
        expect(() => names.decryptSegment(bad)).toThrow(CryptError);
      }
    });
  },
);

describe('obfuscate and off (rclone TestNonStandardEncryptFileName / TestNonStandardDecryptFileName)', () => {
  it.each(vectors.obfuscate)('obfuscates $in → $out (directories $directoryNameEncryption)', (v) => {
    const names = createNameCipher(zeroKeys, {
      filenameEncryption: 'obfuscate',
      directoryNameEncryption: v.directoryNameEncryption,
    });
    expect(names.encryptPath(v.in)).toBe(v.out);
    expect(names.decryptPath(v.out)).toBe(v.in);
  });

  it.each(vectors.off)('off with suffix $suffix: $in → $out', (v) => {
    const names = createNameCipher(zeroKeys, { filenameEncryption: 'off', suffix: v.suffix });
    expect(names.encryptPath(v.in)).toBe(v.out);
    expect(names.decryptPath(v.out)).toBe(v.in);
    expect(names.encryptDirPath(v.in)).toBe(v.in);
  });

  it.each(vectors.decrypt)('$mode decrypts $in → $out ($error)', (v) => {
    const names = createNameCipher(zeroKeys, {
      filenameEncryption: v.mode as 'off' | 'obfuscate',
      directoryNameEncryption: v.directoryNameEncryption,
      suffix: v.suffix ?? undefined,
    });
    if (v.error) expect(() => names.decryptPath(v.in)).toThrow(CryptError);
    else expect(names.decryptPath(v.in)).toBe(v.out);
  });
});

describe('round trips with real keys (rclone TestEncDecMatches and more)', () => {
  it('every mode and encoding returns the original path, directory encryption on and off', async () => {
    const keys = await deriveKeys('potato', 'sausage');
    const paths = [
      '1/2/3/4',
      '1/2/3/4/!hello\u03a0',
      'Avatar The Last Airbender',
      'Rapports 2026/Été/naïve café ☕ 😀.docx',
      'a/b/c.txt',
      'x-v2001-02-03-040506-123.tar.gz',
      'x-v2001-02-30-040506-123.txt',
      '.hidden',
    ];
    for (const filenameEncryption of ['standard', 'obfuscate', 'off'] as const) {
      for (const filenameEncoding of encodings) {
        for (const directoryNameEncryption of [true, false]) {
          const names = createNameCipher(keys, {
            filenameEncryption,
            filenameEncoding,
            directoryNameEncryption,
          });
          for (const path of paths) {
            expect(names.decryptPath(names.encryptPath(path))).toBe(path);
            expect(names.decryptDirPath(names.encryptDirPath(path))).toBe(path);
          }
        }
      }
    }
  });

  it('standard names hide common prefixes and differ under another key', async () => {
    const a = createNameCipher(await deriveKeys('potato'));
    const b = createNameCipher(await deriveKeys('potato', 'salt'));
    expect(a.encryptSegment('report-2026-01.pdf').slice(0, 6)).not.toBe(
      a.encryptSegment('report-2026-02.pdf').slice(0, 6),
    );
    expect(a.encryptSegment('x')).not.toBe(b.encryptSegment('x'));
    expect(() => b.decryptSegment(a.encryptSegment('x'))).toThrow(CryptError);
  });

  it('refuses bad PKCS#7 padding inside a well-encrypted name', () => {
    const names = createNameCipher(zeroKeys);
    const encoder = nameEncoder('base32');
    const sealed = (last: number[]) =>
      encoder.encode(
        emeTransform(
          zeroKeys.nameKey,
          zeroKeys.nameTweak,
          Buffer.concat([Buffer.alloc(16 - last.length, 0x61), Buffer.from(last)]),
          'encrypt',
        ),
      );
    expect(names.decryptSegment(sealed([3, 3, 3]))).toBe('a'.repeat(13));
    for (const last of [[3, 2, 3], [0], [17]])
      expect(() => names.decryptSegment(sealed(last))).toThrow(/PKCS#7/);
  });

  it('keeps only a valid version suffix in clear, as rclone’s time.Parse decides', () => {
    const names = createNameCipher(zeroKeys);
    expect(names.encryptPath('x-v2001-02-28-040506-123.txt')).toBe(
      `${names.encryptSegment('x.txt')}-v2001-02-28-040506-123`,
    );
    expect(names.encryptPath('x-v2001-02-30-040506-123.txt')).toBe(
      names.encryptSegment('x-v2001-02-30-040506-123.txt'),
    );
    expect(names.encryptPath('x-v2001-02-03-240506-123.txt')).toBe(
      names.encryptSegment('x-v2001-02-03-240506-123.txt'),
    );
    expect(names.encryptPath('x-v2000-02-29-040506-123')).toBe(
      `${names.encryptSegment('x')}-v2000-02-29-040506-123`,
    );
    expect(names.encryptPath('a/x-v2001-02-03-040506-123.txt')).toBe(
      `${names.encryptSegment('a')}/${names.encryptSegment('x.txt')}-v2001-02-03-040506-123`,
    );
  });

  it('refuses a segment too long for EME and unknown options', () => {
    const names = createNameCipher(zeroKeys);
    expect(() => names.encryptSegment('a'.repeat(2048))).toThrow(CryptError);
    expect(names.decryptSegment(names.encryptSegment('a'.repeat(2047)))).toBe('a'.repeat(2047));
    expect(() => createNameCipher(zeroKeys, { filenameEncryption: 'rot13' as never })).toThrow(CryptError);
    expect(() => createNameCipher(zeroKeys, { filenameEncoding: 'hex' as never })).toThrow(CryptError);
    expect(() => createNameCipher(zeroKeys, { filenameEncryption: 'off', suffix: 'bin' })).toThrow(
      CryptError,
    );
  });
});

describe('remoteNameCipher', () => {
  it("names as createNameCipher with a remote's three settings, whatever else their object holds", () => {
    const settings = {
      mode: 'rclone-crypt',
      jobId: 'job-1',
      suffix: '.other',
      filenameEncryption: 'off',
      directoryNameEncryption: false,
      filenameEncoding: 'base64',
    } as const;
    const names = remoteNameCipher(zeroKeys, settings);
    expect(names.options).toEqual({
      filenameEncryption: 'off',
      directoryNameEncryption: false,
      filenameEncoding: 'base64',
      suffix: '.bin',
    });
    expect(names.encryptPath('a/b.txt')).toBe('a/b.txt.bin');
    const standard = {
      filenameEncryption: 'standard',
      directoryNameEncryption: true,
      filenameEncoding: 'base32768',
    } as const;
    expect(remoteNameCipher(zeroKeys, standard).encryptPath('dir/file.txt')).toBe(
      createNameCipher(zeroKeys, standard).encryptPath('dir/file.txt'),
    );
  });
});
