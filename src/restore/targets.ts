// Which containers a restore may write to. The deployed identity only reads the source account; the
// template grants it Storage Blob Data Contributor on the restore target containers alone and lists
// them in RESTORE_TARGET_CONTAINERS, so a restore anywhere else would fail file by file with 403.
// Refusing it up front, naming the allowed containers, is the useful answer. Unset (local mode,
// emulators) means no restriction.
import { AppError } from '../errors';

/** One allowed target: a container, in one account or (no account) in whichever account the restore names. */
export interface RestoreTargetContainer {
  account?: string;
  container: string;
}

/** RESTORE_TARGET_CONTAINERS: comma-separated `container` or `account/container`; undefined when unset. */
export function parseRestoreTargets(
  value: string | undefined,
): readonly RestoreTargetContainer[] | undefined {
  if (value === undefined || !value.trim()) return undefined;
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const slash = entry.indexOf('/');
      return slash < 0
        ? { container: entry }
        : { account: entry.slice(0, slash).toLowerCase(), container: entry.slice(slash + 1) };
    });
}

export function describeTargets(targets: readonly RestoreTargetContainer[]): string[] {
  return targets.map((t) => (t.account ? `${t.account}/${t.container}` : t.container));
}

/** The storage account of a blob endpoint (`https://<account>.blob.<suffix>`), if it has that shape. */
function accountOf(blobEndpoint: string | undefined): string | undefined {
  if (!blobEndpoint) return undefined;
  try {
    return new URL(blobEndpoint).hostname.split('.')[0].toLowerCase();
  } catch {
    return undefined;
  }
}

/** Throws a 400 naming the allowed containers when `container` (in `blobEndpoint`'s account) is not one. */
export function assertRestoreTarget(
  targets: readonly RestoreTargetContainer[] | undefined,
  container: string,
  blobEndpoint: string | undefined,
): void {
  if (!targets) return;
  const account = accountOf(blobEndpoint);
  const allowed = targets.some(
    (t) => t.container === container && (t.account === undefined || t.account === account),
  );
  if (allowed) return;
  const where = account ? `${account}/${container}` : container;
  const list = describeTargets(targets);
  throw new AppError(
    'ValidationFailed',
    list.length
      ? `targetContainer: this deployment can restore only into ${list.join(', ')}, not ${where}.`
      : `targetContainer: this deployment has no restore target containers, so it cannot restore into ${where}.`,
    {
      field: 'targetContainer',
      advice:
        'Pick one of those containers, or add the container to the restoreTargetContainers deployment parameter (azd env set RESTORE_TARGET_CONTAINERS ...) and run azd provision: the template then grants the app write access to it.',
    },
  );
}
