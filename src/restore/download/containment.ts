// A restore task names a drive item by id, and ids come from queue messages: anyone who can write
// to the queue could name any file of the connection's drive and have it copied into the target
// container. So the item must lie under the restore's root folder (the run's recorded rootPath),
// checked on the item Graph returns, before the target is touched.
//
// Graph gives the parent as `parentReference.path`: an API path such as
// `/drive/root:/Backups/job%201` or `/drives/{id}/root:/…`, percent-encoded; everything up to the
// first ':' is the addressing and is ignored (Graph's itemReference documentation).
import { AppError } from '../../errors';

const trimSlashes = (path: string): string => path.replace(/^\/+|\/+$/g, '');

/** The parent folder's path below the drive root ('' for the root), or undefined when unknown. */
export function parentFolderOf(parentReferencePath: string | undefined): string | undefined {
  if (parentReferencePath === undefined) return undefined;
  const colon = parentReferencePath.indexOf(':');
  if (colon < 0) return undefined;
  const encoded = parentReferencePath.slice(colon + 1);
  let decoded: string;
  try {
    decoded = decodeURIComponent(encoded);
  } catch {
    // Not percent-encoding after all (a bare '%' in a name as some servers return it): as given.
    decoded = encoded;
  }
  return trimSlashes(decoded);
}

/**
 * OneDrive resolves paths without regard to case, so the recorded root ('backups/job1') and the
 * stored folder ('Backups/Job1') are the same folder; a whole-segment match keeps 'job10' out of 'job1'.
 */
export function isInsideFolder(parentFolder: string, rootFolder: string): boolean {
  const root = trimSlashes(rootFolder).toLowerCase();
  const parent = parentFolder.toLowerCase();
  return root === '' || parent === root || parent.startsWith(`${root}/`);
}

export function assertInsideFolder(item: { id: string; parentPath?: string }, rootFolder: string): void {
  if (trimSlashes(rootFolder) === '') return; // the whole drive is restored
  const parent = parentFolderOf(item.parentPath);
  if (parent !== undefined && isInsideFolder(parent, rootFolder)) return;
  throw new AppError(
    'MessageInvalid',
    parent === undefined
      ? `The OneDrive item ${item.id} has no parent path, so it cannot be shown to lie under the restored folder "${rootFolder}"; nothing was written.`
      : `The OneDrive item ${item.id} lies in "${parent}", outside the restored folder "${rootFolder}"; nothing was written.`,
    {
      advice:
        "The restore task did not come from this restore (a tampered or misdirected queue message). Check who can write to the storage account's queues.",
    },
  );
}
