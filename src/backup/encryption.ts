// What an encrypted job changes in an upload (../crypt): the bytes become rclone crypt ciphertext,
// read range by range from the plaintext as the engine asks for them, and the name below the run
// folder is encrypted as the job chose. Everything else (sessions, hashes, verification, resume)
// is the plain path's, over the ciphertext.
import { createHmac } from 'node:crypto';
import {
  encryptedSize,
  encryptingRangeReader,
  NONCE_BYTES,
  remoteNameCipher,
  sodiumReady,
  type CryptKeys,
} from '../crypt';
import { AppError } from '../errors';
import { escapeAppFolderSegments } from '../graph/names';
import type { Job } from '../store/jobs';
import { isEncrypted } from '../store/jobEncryption';
import type { BackupDeps } from './deps';
import type { RangeReader } from './upload/types';

/**
 * The file's nonce, derived rather than random: HMAC of the one source version being uploaded under
 * a key of the job's. rclone draws a random nonce per file; a nonce only must never repeat for
 * different plaintext under one key, and an ETag-pinned version never changes, so the same inputs
 * always mean the same bytes. Deriving it lets any invocation resume a session mid-file, after a
 * crash or a continuation, with nothing about the file stored or carried in a message.
 */
export function fileNonce(
  keys: CryptKeys,
  job: Pick<Job, 'source'>,
  blob: { name: string; etag: string },
): Buffer {
  const nonceKey = createHmac('sha256', keys.dataKey).update('azure-onedrive-backup/file-nonce/v1').digest();
  return createHmac('sha256', nonceKey)
    .update([job.source.blobEndpoint ?? '', job.source.container, blob.name, blob.etag].join('\n'))
    .digest()
    .subarray(0, NONCE_BYTES);
}

export interface EncryptedUpload {
  size: number;
  read: RangeReader;
}

/** The ciphertext the engine uploads instead of the blob: its size and a reader of its ranges. */
export async function encryptedUpload(
  keys: CryptKeys,
  job: Pick<Job, 'source'>,
  blob: { name: string; etag: string; size: number },
  readPlain: RangeReader,
): Promise<EncryptedUpload> {
  await sodiumReady();
  const nonce = fileNonce(keys, job, blob);
  return {
    size: encryptedSize(blob.size),
    read: encryptingRangeReader(keys, nonce, blob.size, readPlain),
  };
}

/**
 * What an upload of one blob sends for its job: the blob itself, or for an encrypted job its
 * ciphertext under its encrypted name. The uploader calls this once per file and uses the result
 * for the destination path, the engine's size and reader, and whether Office handling applies
 * (an encrypted file is not an Office document to SharePoint, whatever its original name).
 */
export interface UploadForm {
  /** The path below the run folder, before the drive's name encoding. */
  name: string;
  size: number;
  read: RangeReader;
  encrypted: boolean;
}

export async function uploadForm(
  deps: Pick<BackupDeps, 'crypt'>,
  job: Pick<Job, 'id' | 'name' | 'source' | 'encryption'>,
  blob: { name: string; etag: string; size: number },
  readPlain: RangeReader,
): Promise<UploadForm> {
  if (!isEncrypted(job.encryption))
    return { name: blob.name, size: blob.size, read: readPlain, encrypted: false };
  if (!deps.crypt)
    throw new AppError(
      'EncryptionKeysMissing',
      `Job ${job.name} is encrypted and this app has no Key Vault for its keys.`,
    );
  const keys = await deps.crypt.keys(job.id);
  const upload = await encryptedUpload(keys, job, blob, readPlain);
  // The app's own folder keeps its name to itself, as the drive encoding does for plain jobs.
  const name = remoteNameCipher(keys, job.encryption).encryptPath(escapeAppFolderSegments(blob.name));
  return { name, ...upload, encrypted: true };
}
