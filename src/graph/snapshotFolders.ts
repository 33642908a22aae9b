// Snapshot-mode runs write into a folder named after the run's time. Backup names the folders and
// retention prunes them; restore lists them to offer a point in time: all three read one format.

/** Snapshot folder names sort by time and avoid ':' (forbidden in OneDrive names). */
export function snapshotFolderName(at: Date): string {
  return at
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/:/g, '-');
}

export const SNAPSHOT_FOLDER = /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z$/;

/** The time a snapshot folder stands for, or undefined for a folder not named by snapshotFolderName. */
export function snapshotFolderTime(name: string): number | undefined {
  if (!SNAPSHOT_FOLDER.test(name)) return undefined;
  const iso = name.replace(/T(\d{2})-(\d{2})-(\d{2})Z$/, 'T$1:$2:$3Z');
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}
