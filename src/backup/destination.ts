// Where a blob lands in the drive: connection root / job folder / [snapshot folder] / encoded blob
// name. Blob names keep their full path (prefix included) so a restore maps back one to one.
import { encodeBlobPath, graphPath, joinDrivePath, validateDrivePath } from '../graph/names';
import type { Job } from '../store/jobs';
import type { Run } from '../store/runs';

/** The folder a job writes into for a run (relative to the drive root, not URL-encoded). */
export function runFolder(rootFolder: string, job: Job, run: Pick<Run, 'snapshotFolder'>): string {
  const jobFolder = joinDrivePath(rootFolder, job.destinationFolder);
  return job.mode === 'snapshot' && run.snapshotFolder
    ? joinDrivePath(jobFolder, run.snapshotFolder)
    : jobFolder;
}

/**
 * The drive path (decoded) and Graph path (percent-encoded per segment) of a blob. Throws
 * PathTooLong or NameInvalid, which fail the file with the reason.
 */
export function blobDestination(
  folder: string,
  blobName: string,
): { drivePath: string; encodedPath: string } {
  const relative = encodeBlobPath(blobName);
  validateDrivePath(relative, folder);
  const drivePath = joinDrivePath(folder, relative);
  return { drivePath, encodedPath: graphPath(drivePath) };
}
