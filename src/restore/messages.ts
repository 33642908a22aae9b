// The `restore` queue's messages. They carry ids and positions only, never secrets: a queue message
// can be read by anyone with queue access and lands in the poison queue as it is. What to restore
// and where (the spec) is written into the run record when the restore is started through the API
// (./start.ts), and every handler reads it from there (./trustedSpec.ts). No URL in a message is
// ever sent a token: the Graph host comes from the connection's cloud; a children nextLink is
// checked against it before use.
import { AppError } from '../errors';
import { blobNameProblem } from '../sources/blobNames';
import type { OverwritePolicy, RestoreContinuation } from './download/types';

/** What to restore and where; fixed for the whole run. */
export interface RestoreSpec {
  connectionId: string;
  /** Drive folder (decoded, relative to the drive root) whose tree is restored; a snapshot folder included. */
  rootPath: string;
  /** Job whose manifest lists the files (absent for disaster recovery from OneDrive alone). */
  manifestJobId?: string;
  /** Storage account blob endpoint; absent: the app's configured source storage (Azurite locally). */
  blobEndpoint?: string;
  targetContainer: string;
  /** Only blobs whose (decoded) name starts with this. */
  prefix?: string;
  overwrite: OverwritePolicy;
  /** Pick a snapshot subfolder of rootPath when listing starts: a name, or 'latest'. */
  snapshot?: string;
  /** The job's encryption when it is encrypted: the keys are that job's, the names as it chose. */
  encryption?: RestoreEncryption;
}

export interface RestoreEncryption {
  jobId: string;
  filenameEncryption: 'standard' | 'obfuscate' | 'off';
  directoryNameEncryption: boolean;
  filenameEncoding: 'base32' | 'base64' | 'base32768';
}

interface Base {
  v: 1;
  runId: string;
  /** The run's partition: the job id, or `connection-{id}` for a restore without a job. */
  runPartition: string;
  /**
   * Only in messages queued before the spec moved into the run record. Never trusted: each field
   * it has must equal the recorded one, or the message is refused (./trustedSpec.ts).
   */
  spec?: Partial<RestoreSpec>;
}

export type ListSource =
  | { type: 'manifest'; page: number; continuationToken?: string }
  /** A folder's children. No folderId: resolve the root (and the snapshot) first. */
  | { type: 'drive'; folderId?: string; relPath: string; page: number; nextLink?: string };

export interface ListMessage extends Base {
  kind: 'list';
  source: ListSource;
}

export interface FileMessage extends Base {
  kind: 'file';
  itemId: string;
  blobName: string;
  size: number;
  continuation?: RestoreContinuation;
}

export type RestoreMessage = ListMessage | FileMessage;

const isString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
export const invalid = (why: string): AppError =>
  new AppError('MessageInvalid', `Restore message refused: ${why}.`, {
    advice: 'Messages are written by this app; a malformed one is dropped to the poison queue.',
  });

export function parseRestoreMessage(raw: unknown): RestoreMessage {
  type Loose = Partial<Omit<ListMessage, 'kind'> & Omit<FileMessage, 'kind'>> & { kind?: string };
  const m = raw as Loose | undefined;
  if (!m || typeof m !== 'object' || m.v !== 1) throw invalid('unknown version');
  if (!isString(m.runId) || !isString(m.runPartition)) throw invalid('no run');
  // A legacy spec is compared field by field with the run's record later; here only its shape.
  if (m.spec !== undefined && (!m.spec || typeof m.spec !== 'object' || Array.isArray(m.spec)))
    throw invalid('bad spec');
  if (m.kind === 'list') {
    const s = m.source as Partial<ListSource> | undefined;
    if (!s || (s.type !== 'manifest' && s.type !== 'drive') || !Number.isInteger(s.page))
      throw invalid('bad list source');
    return m as unknown as ListMessage;
  }
  if (m.kind === 'file') {
    if (!isString(m.itemId) || typeof m.blobName !== 'string' || !Number.isInteger(m.size))
      throw invalid('bad file task');
    // The blob is written in the run's container under this name: one that climbs out of it (or
    // hides a character the name does not show) is never turned into a blob address.
    const problem = blobNameProblem(m.blobName);
    if (problem) throw invalid(problem);
    return m as unknown as FileMessage;
  }
  throw invalid('unknown kind');
}
