// Where a blob lands in the drive: connection root / job folder / [snapshot folder] / encoded blob
// name. Blob names keep their full path (prefix included) so a restore maps back one to one.
import {
  encodeBlobPath,
  graphPath,
  isOfficeDocument,
  joinDrivePath,
  validateDrivePath,
  type EncodeOptions,
} from '../graph/names';
import type { DriveDestination } from './deps';
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
  options: EncodeOptions = {},
): { drivePath: string; encodedPath: string } {
  const relative = encodeBlobPath(blobName, options);
  validateDrivePath(relative, folder);
  const drivePath = joinDrivePath(folder, relative);
  return { drivePath, encodedPath: graphPath(drivePath) };
}

/**
 * How a job's Office documents go to this drive. Only business drives and SharePoint libraries
 * rewrite them; there `exact` protects them with the name suffix (../graph/names.ts) and `native`
 * accepts the rewritten copy. Personal drives keep plain names and exact verification.
 */
export function officeHandling(
  job: Pick<Job, 'officeFiles'>,
  driveType: DriveDestination['driveType'],
  blobName: string,
): { protectOffice: boolean; acceptRewrite: boolean } {
  const rewrites = driveType !== 'personal';
  return {
    protectOffice: rewrites && job.officeFiles !== 'native',
    acceptRewrite: rewrites && job.officeFiles === 'native' && isOfficeDocument(blobName),
  };
}
