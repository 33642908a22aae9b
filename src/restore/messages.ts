// The `restore` queue's messages. They carry ids, positions and the restore's options, never a
// secret or a URL the worker would send a token to (the Graph host comes from the connection's
// cloud; a children nextLink is checked against it before use).
import { AppError } from '../errors';
import { OVERWRITE_POLICIES, type OverwritePolicy, type RestoreContinuation } from './download/types';

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
}

interface Base {
  v: 1;
  runId: string;
  /** The run's partition: the job id, or `connection-{id}` for a restore without a job. */
  runPartition: string;
  spec: RestoreSpec;
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
const invalid = (why: string): AppError =>
  new AppError('MessageInvalid', `Restore message refused: ${why}.`, {
    advice: 'Messages are written by this app; a malformed one is dropped to the poison queue.',
  });

export function parseRestoreMessage(raw: unknown): RestoreMessage {
  type Loose = Partial<Omit<ListMessage, 'kind'> & Omit<FileMessage, 'kind'>> & { kind?: string };
  const m = raw as Loose | undefined;
  if (!m || typeof m !== 'object' || m.v !== 1) throw invalid('unknown version');
  if (!isString(m.runId) || !isString(m.runPartition)) throw invalid('no run');
  const spec = m.spec as Partial<RestoreSpec> | undefined;
  if (
    !spec ||
    !isString(spec.connectionId) ||
    !isString(spec.targetContainer) ||
    typeof spec.rootPath !== 'string' ||
    !OVERWRITE_POLICIES.includes(spec.overwrite as OverwritePolicy)
  )
    throw invalid('incomplete spec');
  if (m.kind === 'list') {
    const s = m.source as Partial<ListSource> | undefined;
    if (!s || (s.type !== 'manifest' && s.type !== 'drive') || !Number.isInteger(s.page))
      throw invalid('bad list source');
    if (s.type === 'manifest' && !isString(spec.manifestJobId))
      throw invalid('manifest listing without a job');
    return m as unknown as ListMessage;
  }
  if (m.kind === 'file') {
    if (!isString(m.itemId) || typeof m.blobName !== 'string' || !Number.isInteger(m.size))
      throw invalid('bad file task');
    return m as unknown as FileMessage;
  }
  throw invalid('unknown kind');
}
