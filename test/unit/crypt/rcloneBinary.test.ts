// Cross-check with the real rclone binary (the Debian package; .ci/setup-tools installs it in CI):
// rclone must read what our encoder wrote, names and contents, and we must read what rclone wrote.
// The remote is configured through rclone's environment variables only, over a temporary folder.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createNameCipher,
  decryptBuffer,
  deriveKeys,
  encryptBuffer,
  newFileNonce,
  obscure,
  rcloneConfigSection,
  type CryptKeys,
  type NameOptions,
} from '../../../src/crypt';

const RCLONE = process.env.RCLONE_PATH ?? 'rclone';
const probe = spawnSync(RCLONE, ['version'], { encoding: 'utf8' });
const rcloneVersion = probe.status === 0 ? probe.stdout.split('\n')[0] : undefined;

/** Sizes around the 64 KiB block: empty, one byte, one block, one block + 1, several blocks. */
const FILES: Array<[string, number]> = [
  ['empty.txt', 0],
  ['one byte', 1],
  ['docs/block exactly.bin', 65536],
  ['docs/block plus one.bin', 65537],
  ['docs/deep/Été naïve ☕.data', 3 * 65536 + 12345],
  ['photos/x-v2001-02-03-040506-123.jpg', 4321],
  ['photos/!quoted 123 Ωmega.png', 70000],
  ...Array.from({ length: 20 }, (_, i): [string, number] => [`many/small file ${i}.txt`, i]),
];

const CONFIGS: Array<[string, NameOptions & { env: Record<string, string> }]> = [
  ['standard, base32, directories encrypted (rclone’s defaults)', { env: {} }],
  [
    'standard, base64, directory names in clear',
    {
      filenameEncoding: 'base64',
      directoryNameEncryption: false,
      env: { FILENAME_ENCODING: 'base64', DIRECTORY_NAME_ENCRYPTION: 'false' },
    },
  ],
  ['standard, base32768', { filenameEncoding: 'base32768', env: { FILENAME_ENCODING: 'base32768' } }],
  ['obfuscate', { filenameEncryption: 'obfuscate', env: { FILENAME_ENCRYPTION: 'obfuscate' } }],
  ['off (.bin suffix)', { filenameEncryption: 'off', env: { FILENAME_ENCRYPTION: 'off' } }],
];

function walk(root: string, dir = ''): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = dir ? `${dir}/${entry.name}` : entry.name;
    return entry.isDirectory() ? walk(root, rel) : [rel];
  });
}

// rclone's local backend keeps its names in rclone's "Standard" encoding: the Control Pictures
// U+2401–U+241F stand for the control characters 0x01–0x1F, which it writes raw to disk. Only
// base32768 names contain those pictures. This is the local backend's naming, not the crypt format,
// so the test maps names at the disk as rclone's local backend does and compares the names rclone
// itself sees.
const toLocalDisk = (name: string): string =>
  name.replace(/[\u2401-\u241f]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) - 0x2400));
const fromLocalDisk = (name: string): string =>
  [...name]
    .map((ch) => (ch >= '\x01' && ch <= '\x1f' ? String.fromCharCode(ch.charCodeAt(0) + 0x2400) : ch))
    .join('');

function writeTree(root: string, files: Map<string, Buffer>): void {
  for (const [encodedRel, data] of files) {
    const rel = toLocalDisk(encodedRel);
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), data);
  }
}

if (!rcloneVersion) {
  const why = `rclone cross-check skipped: no rclone binary (${RCLONE}); install it with apt-get install -y rclone or set RCLONE_PATH`;
  console.warn(why);
  describe('rclone binary cross-check', () => {
    it.skip(why, () => {});
  });
} else {
  describe(`rclone binary cross-check (${rcloneVersion})`, () => {
    let work: string;
    let keys: CryptKeys;
    const password = randomBytes(18).toString('base64url');
    const password2 = randomBytes(18).toString('base64url');
    const plain = new Map(FILES.map(([name, size]) => [name, randomBytes(size)]));

    beforeAll(async () => {
      work = mkdtempSync(path.join(tmpdir(), 'crypt-rclone-'));
      writeFileSync(path.join(work, 'rclone.conf'), '');
      keys = await deriveKeys(password, password2);
      // A name whose base32768 form holds a Control Picture under this run's keys, so that case
      // is exercised every run rather than by chance.
      const b32k = createNameCipher(keys, { filenameEncoding: 'base32768' });
      let i = 0;
      while (!/[\u2401-\u241f]/.test(b32k.encryptSegment(`picture ${i}.bin`))) i++;
      plain.set(`picture ${i}.bin`, randomBytes(1000));
    });
    afterAll(() => rmSync(work, { recursive: true, force: true }));

    function rclone(remoteDir: string, extra: Record<string, string>, args: string[]): string {
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        RCLONE_CONFIG: path.join(work, 'rclone.conf'),
        RCLONE_CONFIG_OURS_TYPE: 'crypt',
        RCLONE_CONFIG_OURS_REMOTE: remoteDir,
        // rclone.conf holds passwords obscured: this is the line a user would paste.
        RCLONE_CONFIG_OURS_PASSWORD: obscure(password),
        RCLONE_CONFIG_OURS_PASSWORD2: obscure(password2),
      };
      for (const [k, v] of Object.entries(extra)) env[`RCLONE_CONFIG_OURS_${k}`] = v;
      const result = spawnSync(RCLONE, ['-q', ...args], {
        env,
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      });
      if (result.status !== 0) throw new Error(`rclone ${args.join(' ')} failed: ${result.stderr}`);
      return result.stdout;
    }

    it.each(CONFIGS)(
      '%s: rclone decrypts what we wrote, and we decrypt what rclone wrote',
      async (_label, config) => {
        const names = createNameCipher(keys, config);
        const dir = mkdtempSync(path.join(work, 'case-'));

        // Our encoder → rclone.
        const ours = path.join(dir, 'ours');
        const encrypted = new Map<string, Buffer>();
        for (const [rel, data] of plain)
          encrypted.set(names.encryptPath(rel), await encryptBuffer(keys, newFileNonce(), data));
        writeTree(ours, encrypted);
        const restored = path.join(dir, 'restored-by-rclone');
        rclone(ours, config.env, ['copy', 'ours:', restored]);
        expect(walk(restored).sort()).toEqual([...plain.keys()].sort());
        for (const [rel, data] of plain)
          expect([rel, readFileSync(path.join(restored, rel)).equals(data)]).toEqual([rel, true]);

        // rclone → our decoder.
        const source = path.join(dir, 'source');
        writeTree(source, plain);
        const theirs = path.join(dir, 'theirs');
        rclone(theirs, config.env, ['copy', source, 'ours:']);
        const seen = new Map<string, Buffer>();
        for (const rel of walk(theirs)) {
          seen.set(
            names.decryptPath(fromLocalDisk(rel)),
            await decryptBuffer(keys, readFileSync(path.join(theirs, rel))),
          );
        }
        expect([...seen.keys()].sort()).toEqual([...plain.keys()].sort());
        for (const [rel, data] of plain) expect([rel, seen.get(rel)!.equals(data)]).toEqual([rel, true]);
        // Names are deterministic, so both sides chose the same encrypted names.
        expect(walk(theirs).map(fromLocalDisk).sort()).toEqual([...encrypted.keys()].sort());
      },
    );

    it('rclone reads a backup through the rclone.conf section we print', async () => {
      const dir = mkdtempSync(path.join(work, 'conf-'));
      const options = { filenameEncoding: 'base64', directoryNameEncryption: false } as const;
      const names = createNameCipher(keys, options);
      const data = randomBytes(100_000);
      writeTree(
        dir,
        new Map([
          [names.encryptPath('reports/2026/q1.pdf'), await encryptBuffer(keys, newFileNonce(), data)],
        ]),
      );
      const conf = path.join(dir, 'pasted.conf');
      writeFileSync(conf, rcloneConfigSection('mybackup', { remote: dir, password, password2, ...options }));
      const env = { ...process.env, RCLONE_CONFIG: conf };
      const listed = spawnSync(RCLONE, ['-q', 'lsf', '-R', 'mybackup:'], { env, encoding: 'utf8' });
      expect(listed.stdout.split('\n').filter(Boolean).sort()).toEqual([
        'reports/',
        'reports/2026/',
        'reports/2026/q1.pdf',
      ]);
      const cat = spawnSync(RCLONE, ['-q', 'cat', 'mybackup:reports/2026/q1.pdf'], {
        env,
        maxBuffer: 1024 * 1024,
      });
      expect(cat.status).toBe(0);
      expect(Buffer.from(cat.stdout).equals(data)).toBe(true);
    });

    it('rclone refuses our file under another password (the format is keyed, not just framed)', async () => {
      const dir = mkdtempSync(path.join(work, 'wrong-'));
      const names = createNameCipher(keys, { filenameEncryption: 'off' });
      writeTree(
        dir,
        new Map([
          [names.encryptPath('secret.txt'), await encryptBuffer(keys, newFileNonce(), Buffer.from('x'))],
        ]),
      );
      const env = {
        ...process.env,
        RCLONE_CONFIG: path.join(work, 'rclone.conf'),
        RCLONE_CONFIG_OTHER_TYPE: 'crypt',
        RCLONE_CONFIG_OTHER_REMOTE: dir,
        RCLONE_CONFIG_OTHER_PASSWORD: obscure('not the password'),
        RCLONE_CONFIG_OTHER_FILENAME_ENCRYPTION: 'off',
      };
      const result = spawnSync(RCLONE, ['-q', 'cat', 'other:secret.txt'], { env, encoding: 'utf8' });
      expect(result.status).not.toBe(0);
      // rclone 1.60 reports the failed block as "unexpected EOF"; what matters is that nothing came out.
      expect(result.stdout).toBe('');
    });
  });
}
