// The names and paths OneDrive refuses, in one table, and the segment-wise decoding of item paths.
// Rules from "Restrictions and limitations in OneDrive and SharePoint" (Microsoft support). Graph
// answers them with 400 invalidRequest; the detailed code for bad characters,
// nameContainsInvalidCharacters, is the one Graph has been seen to send (OneDrive/onedrive-api-docs
// #1446); pathIsTooLong is from Graph's documented detailed codes; the others are this emulator's
// choice, since clients must branch on the top-level code only.
import { GraphError } from './errors';

export type ItemKind = 'file' | 'folder';

/** Longest decoded path (folders and name, joined with '/') OneDrive accepts. */
export const MAX_PATH_CHARS = 400;

interface NameRule {
  refuses: (name: string, kind: ItemKind) => boolean;
  why: string;
  innerCode: string;
}

const RESERVED = /^(CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9])$/i;

export const NAME_RULES: readonly NameRule[] = [
  { refuses: (n) => n.length === 0, why: 'is empty', innerCode: 'nameInvalid' },
  {
    refuses: (n) => /["*:<>?/\\|]/.test(n),
    why: 'contains one of " * : < > ? / \\ |',
    innerCode: 'nameContainsInvalidCharacters',
  },
  {
    refuses: (n) => n !== n.trim(),
    why: 'starts or ends with a space',
    innerCode: 'nameContainsInvalidCharacters',
  },
  { refuses: (n) => RESERVED.test(n), why: 'is a reserved device name', innerCode: 'nameInvalid' },
  { refuses: (n) => n.toLowerCase() === '.lock', why: 'is .lock', innerCode: 'nameInvalid' },
  { refuses: (n) => n.toLowerCase() === 'desktop.ini', why: 'is desktop.ini', innerCode: 'nameInvalid' },
  { refuses: (n) => n.startsWith('~$'), why: 'starts with ~$', innerCode: 'nameInvalid' },
  { refuses: (n) => n.toLowerCase().includes('_vti_'), why: 'contains _vti_', innerCode: 'nameInvalid' },
  {
    refuses: (n, kind) => kind === 'folder' && n.endsWith('.'),
    why: 'is a folder name ending with "."',
    innerCode: 'nameInvalid',
  },
];

/** Throws 400 invalidRequest when OneDrive would refuse this name. */
export function checkName(name: string, kind: ItemKind): void {
  for (const rule of NAME_RULES) {
    if (rule.refuses(name, kind)) {
      throw new GraphError(400, 'invalidRequest', `The name "${name}" ${rule.why}.`, rule.innerCode);
    }
  }
}

/** Throws 400 invalidRequest when the decoded path (without the leading '/') is over the limit. */
export function checkPathLength(path: string): void {
  if (path.length > MAX_PATH_CHARS) {
    throw new GraphError(
      400,
      'invalidRequest',
      `The path is ${path.length} characters; the limit is ${MAX_PATH_CHARS}.`,
      'pathIsTooLong',
    );
  }
}

/**
 * Splits a still-encoded item path ("a%20b/c.txt") on '/' first and decodes each segment after,
 * so an encoded %2F stays inside its name (where the name rules then refuse it).
 */
export function decodeSegments(rawPath: string): string[] {
  return rawPath
    .split('/')
    .filter((s) => s.length > 0)
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        throw new GraphError(400, 'invalidRequest', `Malformed percent-encoding in "${segment}".`);
      }
    });
}

/** "report.pdf" → "report 1.pdf", "photos" → "photos 1": the name OneDrive picks on conflictBehavior=rename. */
export function numberedName(name: string, kind: ItemKind, n: number): string {
  const dot = name.lastIndexOf('.');
  if (kind === 'folder' || dot <= 0) return `${name} ${n}`;
  return `${name.slice(0, dot)} ${n}${name.slice(dot)}`;
}
