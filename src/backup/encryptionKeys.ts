// What `POST api/jobs/{id}/encryption/keys` answers: an encrypted job's two passwords, as typed and
// as rclone's config file stores them (obscured), with the config lines of an rclone crypt remote
// over the job's OneDrive folder. The person asks for them on purpose (a POST, never cached) to keep
// them outside Azure: if the vault is lost, they are the only way back to the files.
import { AppError } from '../errors';
import { obscure } from '../crypt';
import { jsonResult, type HttpResult } from '../http/types';
import { isEncrypted } from '../store/jobEncryption';
import type { Job } from '../store/jobs';
import type { BackupDeps } from './deps';
import { joinDrivePath } from '../graph/names';

export const KEYS_WARNING =
  'Keep these passwords outside Azure (a password manager, or printed in a safe place). Without them nobody, not this app and not Microsoft, can decrypt the backup. Anyone who has them and the OneDrive folder can read every file.';

/** rclone remote names are letters, digits, `_`, `-`, `.`, `+`, `@` and spaces. */
function remoteName(job: Job): string {
  const base = job.name.replace(/[^A-Za-z0-9_.+@-]+/g, '-').replace(/^-+|-+$/g, '') || 'job';
  return `${base}-crypt`;
}

/** The crypt remote's config section; `onedrive:` is the person's own OneDrive remote in rclone. */
export function rcloneConfig(
  job: Job,
  folder: string,
  obscured: { password: string; password2: string },
): string {
  if (!isEncrypted(job.encryption)) throw new Error('not an encrypted job');
  const e = job.encryption;
  return [
    `[${remoteName(job)}]`,
    'type = crypt',
    `remote = onedrive:${folder}`,
    `filename_encryption = ${e.filenameEncryption}`,
    `directory_name_encryption = ${e.directoryNameEncryption}`,
    `filename_encoding = ${e.filenameEncoding}`,
    `password = ${obscured.password}`,
    `password2 = ${obscured.password2}`,
    '',
  ].join('\n');
}

export async function encryptionKeysResult(deps: BackupDeps, job: Job): Promise<HttpResult> {
  if (!isEncrypted(job.encryption))
    throw new AppError('Conflict', `Job ${job.name} is not encrypted: it has no passwords.`);
  if (!deps.crypt) throw new AppError('ConfigInvalid', 'This app has no Key Vault for encryption passwords.');
  const passwords = await deps.crypt.passwords.get(job.id);
  // The folder as rclone's OneDrive remote sees it: the connection's root folder, then the job's.
  const rootFolder = await deps
    .destination(job.connectionId)
    .then((d) => d.rootFolder)
    .catch(() => '');
  const folder = joinDrivePath(rootFolder, job.destinationFolder);
  const obscured = { password: obscure(passwords.password), password2: obscure(passwords.password2) };
  deps.log.warn('job.encryption.keys.shown', { jobId: job.id });
  return jsonResult(200, {
    jobId: job.id,
    password: passwords.password,
    password2: passwords.password2,
    obscured,
    folder,
    snapshotNote:
      job.mode === 'snapshot'
        ? 'Snapshot jobs write one folder per run: point the remote at a snapshot folder (append /<snapshot>) to read that run.'
        : undefined,
    rcloneConfig: rcloneConfig(job, folder, obscured),
    warning: KEYS_WARNING,
  });
}
