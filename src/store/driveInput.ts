// Rules for the drive paths and ids a person gives (a job's destination folder, a connection's
// root folder, drive and site ids). Both end up in Graph URLs: a ".." segment there is resolved by
// the URL parser (`drives/../me` is `me`), a control character reaches the request line, and a
// name with a space at either end is one OneDrive refuses or silently trims, so a folder would not
// be the one the job names.

// C0 and C1 control characters and DEL.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Why a drive folder path is refused, or undefined. Empty segments (a leading or double /) are allowed. */
export function drivePathProblem(path: string): string | undefined {
  if (CONTROL.test(path)) return 'must not contain control characters';
  for (const segment of path.split('/')) {
    if (segment === '.' || segment === '..') return 'must not contain . or .. segments';
    if (segment !== segment.trim())
      return `must not have a folder name starting or ending with a space ("${segment}")`;
  }
  return undefined;
}

/** Why a drive or site id is refused, or undefined. Ids are opaque, but never path-like. */
export function driveIdProblem(id: string): string | undefined {
  if (CONTROL.test(id)) return 'must not contain control characters';
  if (id !== id.trim()) return 'must not start or end with a space';
  if (id.includes('..')) return 'must not contain ..';
  if (/[/\\?#]/.test(id)) return 'must not contain / \\ ? or #';
  return undefined;
}
