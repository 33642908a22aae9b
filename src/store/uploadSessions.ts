// The upload session of each file in flight, so a task redelivered after a crash resumes the session
// (GET uploadUrl, then on from the server's next expected byte) instead of sending the file again.
// The upload URL is a bearer capability: whoever holds it can write into the session. So the row
// holds it only sealed (AES-256-GCM, key in Key Vault: ../secrets/sealing.ts) together with the
// offset and hash state, bound to the run, blob name, ETag and size; plain columns say only when the
// row may be deleted. A row lives as long as its session: deleted when the file completes, and
// when its session has expired (on read, and by a sweep at most every few minutes per process).
import { createHash } from 'node:crypto';
import { odata, type TableClient } from '@azure/data-tables';
import { isAppError } from '../errors';
import type { Sealer } from '../secrets/sealing';
import { field, TableRepository } from './table';

export const UPLOAD_SESSIONS_TABLE = 'uploadsessions';

/** Without an expiry from the server, a row is kept this long after its last write. */
const UNKNOWN_EXPIRY_MS = 24 * 3600_000;
/** How often one process sweeps expired rows (rows are few: one per large file in flight). */
const SWEEP_EVERY_MS = 10 * 60_000;

/** The one version of one file a session uploads. */
export interface SessionFile {
  runId: string;
  blobName: string;
  etag: string;
  size: number;
}

export interface StoredUploadSession {
  uploadUrl: string;
  /** The hash state covers exactly [0, nextOffset). */
  nextOffset: number;
  hashState: string;
  sessionExpiresAt?: string;
}

interface Row extends Record<string, string | undefined> {
  sealed: string;
  expiresAt: string;
  updatedAt: string;
}

function decode(raw: Record<string, unknown>): Row {
  return {
    sealed: field.requiredString(raw, 'sealed'),
    expiresAt: field.requiredString(raw, 'expiresAt'),
    updatedAt: field.requiredString(raw, 'updatedAt'),
  };
}

/** Row key: the blob name hashed (names may hold characters a row key refuses). */
export function sessionRowKey(blobName: string): string {
  return createHash('sha256').update(blobName, 'utf8').digest('hex');
}

/** What the ciphertext is bound to: a row copied to another file, run or blob version does not open. */
function context(file: SessionFile): string {
  return JSON.stringify(['upload-session', file.runId, file.blobName, file.etag, file.size]);
}

export class UploadSessionStore {
  private readonly repo: TableRepository<Row>;
  private lastSweep = 0;

  constructor(
    private readonly client: TableClient,
    private readonly sealer: Sealer,
    private readonly now: () => number = Date.now,
    /** Told when a row is refused or dropped (never with its content). */
    private readonly onDiscard: (why: string) => void = () => undefined,
  ) {
    this.repo = new TableRepository<Row>(client, decode);
  }

  /** The live session stored for this file, or undefined (none, expired, or refused: then deleted). */
  async get(file: SessionFile): Promise<StoredUploadSession | undefined> {
    const key = sessionRowKey(file.blobName);
    const row = await this.repo.get(file.runId, key);
    if (!row) return undefined;
    if (Date.parse(row.value.expiresAt) <= this.now()) {
      await this.repo.delete(file.runId, key);
      this.onDiscard('expired');
      return undefined;
    }
    let session: StoredUploadSession;
    try {
      session = parse(await this.sealer.open(row.value.sealed, context(file)));
    } catch (error) {
      if (!isAppError(error, 'StateInvalid')) throw error;
      // Altered, moved from another row, or sealed with a key that is gone: never used.
      await this.repo.delete(file.runId, key);
      this.onDiscard(error.message);
      return undefined;
    }
    return session;
  }

  async put(file: SessionFile, session: StoredUploadSession): Promise<void> {
    const now = this.now();
    const expires = session.sessionExpiresAt ? Date.parse(session.sessionExpiresAt) : NaN;
    await this.repo.upsert(file.runId, sessionRowKey(file.blobName), {
      sealed: await this.sealer.seal(JSON.stringify(session), context(file)),
      expiresAt: new Date(Number.isFinite(expires) ? expires : now + UNKNOWN_EXPIRY_MS).toISOString(),
      updatedAt: new Date(now).toISOString(),
    });
    if (now - this.lastSweep >= SWEEP_EVERY_MS) {
      this.lastSweep = now;
      // Rows of runs that ended mid-file (cancelled, timed out) are found by nobody else.
      void this.purgeExpired().catch(() => undefined);
    }
  }

  async delete(file: SessionFile): Promise<void> {
    await this.repo.delete(file.runId, sessionRowKey(file.blobName));
  }

  /** Deletes every row whose session has expired; returns how many. */
  async purgeExpired(): Promise<number> {
    await this.repo.prepare();
    const cutoff = new Date(this.now()).toISOString();
    let removed = 0;
    const rows = this.client.listEntities<Record<string, unknown>>({
      queryOptions: { filter: odata`expiresAt le ${cutoff}`, select: ['PartitionKey', 'RowKey'] },
    });
    for await (const row of rows) if (await this.repo.delete(row.partitionKey!, row.rowKey!)) removed += 1;
    return removed;
  }
}

function parse(text: string): StoredUploadSession {
  const value = JSON.parse(text) as Partial<StoredUploadSession>;
  if (
    typeof value.uploadUrl !== 'string' ||
    typeof value.nextOffset !== 'number' ||
    typeof value.hashState !== 'string'
  )
    throw new Error('A stored upload session is incomplete');
  return {
    uploadUrl: value.uploadUrl,
    nextOffset: value.nextOffset,
    hashState: value.hashState,
    sessionExpiresAt: typeof value.sessionExpiresAt === 'string' ? value.sessionExpiresAt : undefined,
  };
}
