// Which blob names the app will write. The storage SDK resolves a blob's URL the way a browser
// does, so "a/../../other/x" addresses another container, and Blob storage turns a backslash into
// a '/', so "..\\other\\x" does the same. A name with an empty, "." or ".." segment or a backslash
// is therefore refused before any client is made for it. Control characters are not: the SDK
// percent-encodes them (a tab is %09, never dropped by the URL parser), and blobs whose names hold
// them are backed up like any other, so refusing them would make those backups unrestorable.

/** The longest blob name Azure accepts. */
export const MAX_BLOB_NAME_LENGTH = 1024;

/** Why `name` is not a blob name the app writes, or undefined when it is one. */
export function blobNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'the blob name is empty';
  if (name.length > MAX_BLOB_NAME_LENGTH)
    return `the blob name is longer than ${MAX_BLOB_NAME_LENGTH} characters`;
  if (name.includes('\\')) return 'the blob name contains a backslash';
  for (const segment of name.split('/')) {
    if (segment === '') return 'the blob name has an empty path segment (a leading, trailing or double /)';
    if (segment === '.' || segment === '..') return `the blob name has a "${segment}" path segment`;
  }
  return undefined;
}
