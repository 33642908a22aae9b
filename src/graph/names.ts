// Blob names → OneDrive paths, reversibly.
//
// A blob name is a '/'-separated path whose segments may hold anything; OneDrive refuses some
// characters and names (Microsoft's "Restrictions and limitations in OneDrive and SharePoint"). Each
// segment is encoded on its own so that:
//   - every encoded segment is a name OneDrive accepts (`isValidOneDriveName`);
//   - `decodeDrivePath(encodeBlobPath(x)) === x` for every blob name x, so a restore puts each
//     file back under its exact original name.
//
// Scheme (the same idea rclone uses for OneDrive, extended to reserved names):
//   - A forbidden character is replaced by a visible look-alike from a fixed table: `:` → `：`
//     (full-width forms), control characters → the Control Pictures `␀`…`␟`, `␡`, and C1 controls
//     → private-use U+F080…U+F09F. A person browsing the backup still reads the name.
//   - A leading or trailing space becomes `␠`; a trailing `.` becomes `．`.
//   - The quote mark Q = `‛` (U+201B) means "the next character is literal". A character of the
//     input that is itself a look-alike or Q is written as Q + that character, so a look-alike in
//     the output without a Q before it always stands for a substituted character. That is what
//     makes the scheme unambiguous for inputs that already contain the escape sequences.
//   - Reserved names (`CON.txt`, `desktop.ini`, `.lock`, `~$x`, `_vti_`) are broken by inserting
//     Q before an ordinary character, which decoding drops like any other Q.
//   - An empty segment (from `a//b`, a leading `/` or a trailing `/`) is written as a lone Q. The
//     encoder never produces a lone Q otherwise (a literal Q is always doubled), so it is unique.
// Why not %XX escapes: `%` and `#` in SharePoint names depend on tenant history and are easy to
// double- or under-encode in Graph path addressing; look-alikes avoid both characters entirely,
// and the backup stays readable in the OneDrive web UI.
//
// Office documents on business drives: SharePoint rewrites Office files after upload (property
// promotion), so their bytes, size and quickXorHash no longer match the source. With
// `protectOffice` such a file's name gets one more Q at its very end ("report.docx" is stored as
// "report.docx‛"): SharePoint chooses its parser by extension and "docx‛" matches none, so the
// bytes stay ours. The encoder never ends a name with a Q otherwise (a Q always quotes the
// character after it), so the decoder drops a final unquoting Q without ambiguity.
//
// Unicode normalization: names are never normalized here, so a blob named in NFD restores in NFD.
// OneDrive stores the name it is given, but compares names case-insensitively (and the sync
// clients may normalize), so two blobs that differ only in case or normalization land on the
// same OneDrive item: `driveNameKey` gives the key under which such collisions can be detected.

import { AppError } from '../errors';

/** OneDrive's limit on the decoded path of an item (folder path + file name). */
export const MAX_DRIVE_PATH_CHARS = 400;

/** "The next character is literal." */
const QUOTE = '\u201B';

// Character → look-alike. Every look-alike is a character OneDrive accepts.
const SUBSTITUTE = new Map<string, string>();
for (const [from, to] of [
  ['"', '\uFF02'],
  ['*', '\uFF0A'],
  [':', '\uFF1A'],
  ['<', '\uFF1C'],
  ['>', '\uFF1E'],
  ['?', '\uFF1F'],
  ['\\', '\uFF3C'],
  ['|', '\uFF5C'],
  // Accepted by OneDrive today, but see the header: kept out of names to avoid URL pitfalls.
  ['#', '\uFF03'],
  ['%', '\uFF05'],
  ['\u007F', '\u2421'],
] as const)
  SUBSTITUTE.set(from, to);
for (let c = 0; c < 0x20; c++) SUBSTITUTE.set(String.fromCharCode(c), String.fromCharCode(0x2400 + c));
for (let c = 0x80; c < 0xa0; c++) SUBSTITUTE.set(String.fromCharCode(c), String.fromCharCode(0xf000 + c));

// Positional substitutes: only applied at the start or end of a segment.
const EDGE_SPACE = '\u2420'; // ␠
const TRAILING_DOT = '\uFF0E'; // ．

const ORIGINAL = new Map<string, string>([...SUBSTITUTE].map(([from, to]) => [to, from]));
ORIGINAL.set(EDGE_SPACE, ' ');
ORIGINAL.set(TRAILING_DOT, '.');

const FORBIDDEN_PRINTABLE = new Set([...'"*:<>?/\\|']);

/** The first character OneDrive refuses anywhere in a name: the printable ones, or a C0/DEL/C1 control. */
function forbiddenChar(name: string): string | undefined {
  for (const ch of name) {
    const code = ch.charCodeAt(0);
    if (FORBIDDEN_PRINTABLE.has(ch) || code < 0x20 || (code >= 0x7f && code <= 0x9f)) return ch;
  }
  return undefined;
}
/**
 * The folder a backup keeps its own files in (the run index), beside the user's files. A blob path
 * segment of this name (in any case: OneDrive matches names case-insensitively) is encoded like a
 * reserved name, so the folder of this exact name in a backup is always the app's, never a user's.
 */
export const APP_FOLDER_NAME = '.azure-onedrive-backup';
const RESERVED_BASE = /^(CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9])$/i;
const RESERVED_WHOLE = new Set(['.lock', 'desktop.ini']);
const VTI = /_vti_/i;

/**
 * OneDrive's naming rules (its documented restrictions) for one file or folder name. `asFolder` adds the
 * folder-only rule (no trailing '.'). Returns the rule broken, or undefined when the name is valid.
 */
export function oneDriveNameProblem(name: string, asFolder = false): string | undefined {
  if (name.length === 0) return 'a name cannot be empty';
  const bad = forbiddenChar(name);
  if (bad) return `contains the forbidden character U+${bad.charCodeAt(0).toString(16).padStart(4, '0')}`;
  if (name.startsWith(' ') || name.endsWith(' ')) return 'starts or ends with a space';
  // Windows also treats "CON .txt" as CON, hence the trim.
  const base = name.split('.')[0].trimEnd();
  if (RESERVED_BASE.test(base)) return `"${base}" is a reserved device name`;
  if (RESERVED_WHOLE.has(name.toLowerCase())) return `"${name}" is a reserved name`;
  if (name.startsWith('~$')) return 'starts with "~$"';
  if (VTI.test(name)) return 'contains "_vti_"';
  if (asFolder && name.endsWith('.')) return 'a folder name cannot end with "."';
  return undefined;
}

/** True when OneDrive accepts `name` both as a file name and as a folder name. */
export function isValidOneDriveName(name: string): boolean {
  return oneDriveNameProblem(name, true) === undefined;
}

function nameInvalid(blobName: string, why: string): AppError {
  return new AppError('NameInvalid', `The blob name cannot be stored in OneDrive: ${why}.`, {
    detail: blobName.slice(0, 200),
    advice: 'Rename the blob or exclude it from the job with a prefix.',
  });
}

/** Characters of the input, each with how it is written, before the name-level fix-ups. */
function encodeChars(segment: string, blobName: string): string[] {
  const chars = Array.from(segment); // code points, so surrogate pairs stay whole
  return chars.map((ch, i) => {
    if (ch.length === 1 && ch >= '\uD800' && ch <= '\uDFFF')
      throw nameInvalid(blobName, 'it contains an unpaired UTF-16 surrogate (not valid Unicode)');
    if (ch === QUOTE || ORIGINAL.has(ch)) return QUOTE + ch;
    const sub = SUBSTITUTE.get(ch);
    if (sub) return sub;
    const last = i === chars.length - 1;
    if (ch === ' ' && (i === 0 || last)) return EDGE_SPACE;
    // Applied to files too: the same segment can be a file in one blob name and a folder in
    // another ("a." and "a./b"), and both must encode the same way.
    if (ch === '.' && last) return TRAILING_DOT;
    return ch;
  });
}

/** Insert Q before ordinary characters wherever the written name would be a reserved one. */
function breakReservedNames(pieces: string[]): string[] {
  const out = [...pieces];
  const name = out.join('');
  const base = name.split('.')[0].trimEnd();
  if (
    RESERVED_BASE.test(base) ||
    RESERVED_WHOLE.has(name.toLowerCase()) ||
    name.startsWith('~') ||
    name.toLowerCase() === APP_FOLDER_NAME
  )
    // Any leading '~' is quoted, not only "~$": SharePoint also refuses folders starting with '~'.
    out[0] = QUOTE + out[0];
  // "_vti_" anywhere: quote the '_' that would complete each occurrence. The check runs on the
  // text written so far, so overlapping occurrences ("_vti_vti_") are all broken.
  let written = out[0] ?? '';
  for (let i = 1; i < out.length; i++) {
    if (out[i] === '_' && written.slice(-4).toLowerCase() === '_vti') out[i] = QUOTE + '_';
    written += out[i];
  }
  return out;
}

/**
 * Office formats SharePoint promotes properties of: the Office Open XML family, and, as a
 * precaution (its parsers cover them too), the legacy binary formats. Protecting a file that
 * would not have been rewritten costs only the suffix.
 */
const OFFICE_EXTENSIONS: ReadonlySet<string> = new Set(
  [
    'docx docm dotx dotm xlsx xlsm xltx xltm xlsb pptx pptm potx potm ppsx ppsm vsdx vsdm',
    'doc dot xls xlt ppt pot pps vsd',
  ]
    .join(' ')
    .split(' '),
);

/** True when SharePoint would rewrite a file of this name (by its extension). */
export function isOfficeDocument(name: string): boolean {
  const dot = name.lastIndexOf('.');
  return dot > 0 && OFFICE_EXTENSIONS.has(name.slice(dot + 1).toLowerCase());
}

/** Encode one segment of a blob name into a OneDrive name. */
export function encodeSegment(segment: string, blobName = segment): string {
  if (segment.length === 0) return QUOTE;
  return breakReservedNames(encodeChars(segment, blobName)).join('');
}

/** Exact inverse of `encodeSegment`. Lenient with names not made by it (a look-alike typed by a person decodes to the character it stands for). */
export function decodeSegment(name: string): string {
  if (name === QUOTE) return '';
  let out = '';
  const chars = Array.from(name);
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i];
    if (ch === QUOTE && i + 1 < chars.length) out += chars[++i];
    else if (ch === QUOTE)
      continue; // the Office suffix (see the header)
    else out += ORIGINAL.get(ch) ?? ch;
  }
  return out;
}

export interface EncodeOptions {
  /** Add the Office suffix to an Office document's file name (business drives, officeFiles: exact). */
  protectOffice?: boolean;
}

/** The relative OneDrive path (segments joined with '/', not URL-encoded) for a blob name. */
export function encodeBlobPath(blobName: string, options: EncodeOptions = {}): string {
  if (blobName.length === 0) throw nameInvalid(blobName, 'it is empty');
  const segments = blobName.split('/');
  const file = segments[segments.length - 1];
  return segments
    .map((segment, i) => {
      const encoded = encodeSegment(segment, blobName);
      return options.protectOffice && i === segments.length - 1 && isOfficeDocument(file)
        ? encoded + QUOTE
        : encoded;
    })
    .join('/');
}

/** The blob name a relative OneDrive path made by `encodeBlobPath` came from. */
export function decodeDrivePath(path: string): string {
  return path.split('/').map(decodeSegment).join('/');
}

/** Percent-encode one segment for a Graph URL (`/root:/{segments}:`), RFC 3986 strict. */
export function toGraphPathSegment(segment: string): string {
  return encodeURIComponent(segment).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** A '/'-separated OneDrive path with each segment percent-encoded separately ('/' kept). */
export function graphPath(path: string): string {
  return path.split('/').map(toGraphPathSegment).join('/');
}

/** Join a destination folder and a relative path, without doubled or edge slashes. */
export function joinDrivePath(folder: string, relativePath: string): string {
  const trimmed = folder.replace(/^\/+|\/+$/g, '');
  return trimmed ? `${trimmed}/${relativePath}` : relativePath;
}

/**
 * Throws PathTooLong when the item's decoded path (the destination folder + the encoded relative
 * path, as OneDrive stores it, not URL-encoded) is longer than OneDrive's 400 characters.
 * Counted in UTF-16 code units, which is at least what OneDrive counts, so we never under-count.
 */
export function validateDrivePath(relativePath: string, destinationFolder = ''): void {
  const full = joinDrivePath(destinationFolder, relativePath);
  if (full.length <= MAX_DRIVE_PATH_CHARS) return;
  throw new AppError(
    'PathTooLong',
    `The OneDrive path would be ${full.length} characters; OneDrive allows at most ${MAX_DRIVE_PATH_CHARS} ` +
      `(destination folder + file path): "${full.slice(0, 80)}…"`,
    {
      detail: full.slice(0, 400),
      advice: 'Choose a shorter destination folder, or shorten the blob names (deep folders add up).',
    },
  );
}

/** Key under which two paths are the same OneDrive item (OneDrive matches names case-insensitively). */
export function driveNameKey(path: string): string {
  return path.normalize('NFC').toLowerCase();
}

/**
 * For names that are not otherwise encoded (an encrypted job's, whose drive names are ciphertext):
 * a path segment that would read as the app's own folder once decrypted gets one more leading quote,
 * so the app's folder and a user's folder of that name never share a name, and the inverse takes
 * exactly one off. Only that name is touched: every other name stays the blob's own, byte for byte.
 */
const APP_FOLDER_LIKE = new RegExp(`^${QUOTE}*${APP_FOLDER_NAME.replace(/\./g, '\\.')}$`, 'i');
export function escapeAppFolderSegments(path: string): string {
  return path
    .split('/')
    .map((segment) => (APP_FOLDER_LIKE.test(segment) ? QUOTE + segment : segment))
    .join('/');
}
export function unescapeAppFolderSegments(path: string): string {
  return path
    .split('/')
    .map((segment) =>
      APP_FOLDER_LIKE.test(segment) && segment.startsWith(QUOTE) ? segment.slice(QUOTE.length) : segment,
    )
    .join('/');
}
