import {
  APP_FOLDER_NAME,
  decodeDrivePath,
  decodeSegment,
  driveNameKey,
  encodeBlobPath,
  encodeSegment,
  graphPath,
  isOfficeDocument,
  isValidOneDriveName,
  oneDriveNameProblem,
  toGraphPathSegment,
  validateDrivePath,
} from '../../../src/graph/names';
import { AppError, isAppError } from '../../../src/errors';

// A small seeded generator, so a failing case can be reproduced from the seed in the message.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Pieces chosen to hit every rule and every escape sequence, alone and in combination.
const TRICKY = [
  ...'"*:<>?\\|#%. ~$_/',
  '\u0000',
  '\u001F',
  '\u007F',
  '\u0085',
  '\u009F',
  '\u201B', // the quote mark itself
  '\u201B\u201B',
  '\uFF1A', // a look-alike already in the input
  '\u2420',
  '\u2400',
  '\uFF0E',
  '\uF085',
  'CON',
  'con.txt',
  'Lpt9',
  'COM0',
  'nul.tar.gz',
  'AUX ',
  '.lock',
  'desktop.ini',
  'DESKTOP.INI',
  '~$',
  '_vti_',
  '_VTI_vti_',
  'vti',
  '..',
  'caf\u00E9', // NFC
  'cafe\u0301', // NFD
  '\u{1F600}', // emoji (surrogate pair)
  '\u{1F468}\u200D\u{1F469}',
  '日本語',
  'a',
  'Z',
  '0',
];

function randomName(next: () => number): string {
  const parts = 1 + Math.floor(next() * 8);
  let out = '';
  for (let i = 0; i < parts; i++) {
    const r = next();
    if (r < 0.6) out += TRICKY[Math.floor(next() * TRICKY.length)];
    else if (r < 0.8) out += String.fromCodePoint(0x20 + Math.floor(next() * 0x60));
    else {
      // Any valid code point outside the surrogate range.
      let cp = Math.floor(next() * 0x10ffff);
      if (cp >= 0xd800 && cp <= 0xdfff) cp = 0x41;
      out += String.fromCodePoint(cp);
    }
  }
  return out || 'x';
}

describe('OneDrive naming rules', () => {
  it.each([
    ['a:b', /forbidden/],
    ['a\tb', /forbidden/],
    [' a', /space/],
    ['a ', /space/],
    ['CON', /reserved/],
    ['con.txt', /reserved/],
    ['Com7.tar.gz', /reserved/],
    ['LPT0', /reserved/],
    ['.lock', /reserved/],
    ['Desktop.ini', /reserved/],
    ['~$draft.docx', /~\$/],
    ['x_VTI_y', /_vti_/],
    ['', /empty/],
  ])('refuses %j', (name, rule) => {
    expect(oneDriveNameProblem(name)).toMatch(rule);
    expect(isValidOneDriveName(name)).toBe(false);
  });

  it('refuses a folder name ending with "." but accepts names that merely resemble reserved ones', () => {
    expect(oneDriveNameProblem('folder.', true)).toMatch(/folder/);
    for (const ok of ['CONSOLE', 'COM10', 'xCON', 'a.lock', 'vti_', 'café', '~file'])
      expect(isValidOneDriveName(ok)).toBe(true);
  });
});

describe('blob name encoding', () => {
  it('leaves ordinary names untouched', () => {
    expect(encodeBlobPath('backups/2024/db dump (1).sql.gz')).toBe('backups/2024/db dump (1).sql.gz');
  });

  it('replaces forbidden characters with readable look-alikes', () => {
    expect(encodeBlobPath('logs/a:b*c?.txt')).toBe('logs/a：b＊c？.txt');
    expect(encodeBlobPath('x<y>|"\\')).toBe('x＜y＞｜＂＼');
  });

  it('escapes leading and trailing spaces and a trailing dot, keeping inner ones', () => {
    expect(encodeBlobPath(' a b /c.')).toBe('␠a b␠/c．');
  });

  it('breaks reserved names with the quote mark', () => {
    expect(encodeSegment('CON.txt')).toBe('\u201BCON.txt');
    expect(encodeSegment('desktop.ini')).toBe('\u201Bdesktop.ini');
    expect(encodeSegment('~$a')).toBe('\u201B~$a');
    expect(encodeSegment('a_vti_vti_b')).toBe('a_vti\u201B_vti\u201B_b');
  });

  it("keeps the app's own folder name for the app: a blob segment of that name, in any case, is quoted", () => {
    for (const name of [APP_FOLDER_NAME, '.Azure-OneDrive-Backup'])
      expect(encodeSegment(name)).toBe(`\u201B${name}`);
    const blob = `${APP_FOLDER_NAME}/runs/x.jsonl`;
    expect(encodeBlobPath(blob).startsWith(`${APP_FOLDER_NAME}/`)).toBe(false);
    expect(decodeDrivePath(encodeBlobPath(blob))).toBe(blob);
    expect(encodeSegment(`${APP_FOLDER_NAME}x`)).toBe(`${APP_FOLDER_NAME}x`);
  });

  it('quotes input that already looks like an escape, so decoding is unambiguous', () => {
    const tricky = 'a\uFF1Ab\u201Bc';
    expect(encodeSegment(tricky)).toBe('a\u201B\uFF1Ab\u201B\u201Bc');
    expect(decodeSegment(encodeSegment(tricky))).toBe(tricky);
    expect(decodeSegment(encodeSegment('a:b'))).toBe('a:b');
  });

  it('round-trips empty segments from "//", a leading "/" and a trailing "/"', () => {
    for (const name of ['/a', 'a//b', 'a/', '//']) {
      const encoded = encodeBlobPath(name);
      expect(encoded.split('/').every(isValidOneDriveName)).toBe(true);
      expect(decodeDrivePath(encoded)).toBe(name);
    }
  });

  it('keeps NFC and NFD forms distinct (never normalizes)', () => {
    const nfd = 'cafe\u0301.txt';
    expect(encodeBlobPath(nfd)).toBe(nfd);
    expect(decodeDrivePath(encodeBlobPath(nfd))).toBe(nfd);
    expect(encodeBlobPath(nfd)).not.toBe(encodeBlobPath(nfd.normalize('NFC')));
    // ...while the collision key shows OneDrive may treat them (and case variants) as one item.
    expect(driveNameKey('Cafe\u0301.TXT')).toBe(driveNameKey('café.txt'));
  });

  it('rejects names that are not valid Unicode or are empty, with NameInvalid', () => {
    expect(() => encodeBlobPath('a\uD800b')).toThrow(AppError);
    expect(() => encodeBlobPath('')).toThrow(/empty/);
    try {
      encodeBlobPath('x/\uDC00');
    } catch (error) {
      expect(isAppError(error, 'NameInvalid')).toBe(true);
    }
    expect.assertions(3);
  });

  it('round-trips thousands of random names and always yields valid OneDrive names', () => {
    const seed = 20240601;
    const next = rng(seed);
    let checked = 0;
    for (let i = 0; i < 5000; i++) {
      const segments = 1 + Math.floor(next() * 3);
      const name = Array.from({ length: segments }, () => randomName(next)).join('/');
      const encoded = encodeBlobPath(name);
      const context = `seed ${seed}, case ${i}: ${JSON.stringify(name)} → ${JSON.stringify(encoded)}`;
      if (decodeDrivePath(encoded) !== name) throw new Error(`round trip failed, ${context}`);
      for (const segment of encoded.split('/')) {
        const problem = oneDriveNameProblem(segment, true);
        if (problem) throw new Error(`invalid segment (${problem}), ${context}`);
        // Stricter than OneDrive on purpose (see names.ts): no '#', '%', or leading '~'.
        if (/[#%]/.test(segment) || segment.startsWith('~')) throw new Error(`unsafe segment, ${context}`);
      }
      checked++;
    }
    expect(checked).toBe(5000);
  });
});

describe('Office documents on business drives (protectOffice)', () => {
  const OFFICE = ['report.docx', 'Book.XLSX', 'deck.pptx', 'old.doc', 'a/b/~$lock.xlsm'];

  it('adds a suffix SharePoint does not parse to Office names only, and the decoder removes it', () => {
    for (const name of OFFICE) {
      const encoded = encodeBlobPath(name, { protectOffice: true });
      const file = encoded.split('/').pop()!;
      expect(isOfficeDocument(file)).toBe(false);
      expect(encoded).not.toBe(encodeBlobPath(name));
      expect(decodeDrivePath(encoded)).toBe(name);
      expect(oneDriveNameProblem(file)).toBeUndefined();
    }
    for (const name of ['notes.txt', 'docx', 'folder.docx/inner.bin', 'archive.docx.gz'])
      expect(encodeBlobPath(name, { protectOffice: true })).toBe(encodeBlobPath(name));
  });

  it('stays unambiguous for names that already end with the quote mark', () => {
    for (const name of ['x.docx\u201B', 'plain\u201B', '\u201B\u201B.xlsx', 'a\u201B/b.pptx']) {
      expect(decodeDrivePath(encodeBlobPath(name, { protectOffice: true }))).toBe(name);
      expect(decodeDrivePath(encodeBlobPath(name))).toBe(name);
    }
  });

  it('round-trips thousands of random names with the suffix switched on', () => {
    const next = rng(20261201);
    for (let i = 0; i < 3000; i++) {
      const ext = ['.docx', '.xlsx', '.bin', '', '.pptx'][Math.floor(next() * 5)];
      const name = randomName(next) + ext;
      const encoded = encodeBlobPath(name, { protectOffice: true });
      if (decodeDrivePath(encoded) !== name) throw new Error(`round trip failed: ${JSON.stringify(name)}`);
    }
  });
});

describe('Graph URL paths', () => {
  it('percent-encodes each segment separately and keeps the separators', () => {
    expect(graphPath('a b/c#d/e%f')).toBe('a%20b/c%23d/e%25f');
    expect(toGraphPathSegment("it's (1)*!")).toBe('it%27s%20%281%29%2A%21');
    expect(graphPath(encodeBlobPath('q:/x'))).toBe('q%EF%BC%9A/x');
    expect(decodeURIComponent(toGraphPathSegment('日本 語'))).toBe('日本 語');
  });
});

describe('path length', () => {
  it('accepts a path of exactly 400 characters including the destination folder', () => {
    expect(() => validateDrivePath('a'.repeat(392), '/Backups/')).not.toThrow(); // "Backups/" + 392
  });

  it('fails a longer path with PathTooLong and says what to do', () => {
    let caught: unknown;
    try {
      validateDrivePath('a'.repeat(393), '/Backups/');
    } catch (error) {
      caught = error;
    }
    expect(isAppError(caught, 'PathTooLong')).toBe(true);
    expect((caught as AppError).message).toMatch(/401 characters.*at most 400/);
    expect((caught as AppError).advice).toMatch(/shorter destination folder/);
  });
});
