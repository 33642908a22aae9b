// Which blob names the app will write. The storage SDK resolves a blob's URL the way a browser
// does, so "a/../../other/x" addresses another container, and a backslash or control character
// ends up somewhere the name does not say. A name with an empty, "." or ".." segment, a backslash
// or a control character is therefore refused before any client is made for it.

/** The longest blob name Azure accepts. */
export const MAX_BLOB_NAME_LENGTH = 1024;

// C0 and C1 control characters and DEL.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Why `name` is not a blob name the app writes, or undefined when it is one. */
export function blobNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'the blob name is empty';
  if (name.length > MAX_BLOB_NAME_LENGTH)
    return `the blob name is longer than ${MAX_BLOB_NAME_LENGTH} characters`;
  if (CONTROL.test(name)) return 'the blob name contains a control character';
  if (name.includes('\\')) return 'the blob name contains a backslash';
  for (const segment of name.split('/')) {
    if (segment === '') return 'the blob name has an empty path segment (a leading, trailing or double /)';
    if (segment === '.' || segment === '..') return `the blob name has a "${segment}" path segment`;
  }
  return undefined;
}
