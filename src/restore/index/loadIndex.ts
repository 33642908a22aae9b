// Finds the newest run index of the folder being restored and loads it into the restore run's
// index rows (./indexStore.ts), streamed: the file is read line by line as it downloads (gunzipped
// when it is a .jsonl.gz) and written 100 rows at a time, so memory stays bounded. The bytes are
// verified against OneDrive's quickXorHash like any restored file; a mismatch throws, and the
// redelivered listing loads it again (rows are upserts). Runs in the first listing, before any file
// task is queued, so every task finds its row.
import { createInterface } from 'node:readline';
import { Readable, Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { AppError, isAppError } from '../../errors';
import { send } from '../../graph/http';
import { joinDrivePath } from '../../graph/names';
import { QuickXorHash } from '../../graph/quickXorHash';
import {
  newestRunIndex,
  parseRunIndexFileName,
  parseRunIndexLine,
  RUN_INDEX_FOLDER,
} from '../../graph/runIndex';
import { contentRedirect, getDriveFile } from '../download/graphItems';
import { meteredContext, type HttpContext } from '../download/http';
import type { AccessTokenProvider, DriveLocation } from '../download/types';
import { childrenPage, folderIdByPath } from '../listing/driveChildren';
import type { IndexedFile, LoadedIndex, RestoreIndexStore } from './indexStore';
import type { RestoreCrypt } from '../deps';

export interface LoadIndexRequest {
  runId: string;
  location: DriveLocation;
  /** The backup folder (decoded): the job's folder, or the snapshot folder restored. */
  folderPath: string;
  tokens: AccessTokenProvider;
  /** Only blobs whose name starts with it are restored, so only they are loaded. */
  prefix?: string;
  /** An encrypted job's: its index is encrypted, name and bytes. */
  crypt?: RestoreCrypt;
}

/** A blob name is at most 1,024 characters. */
const MAX_NAME_CHARS = 1024;
/**
 * A blob's facts are small (metadata at most 8 KiB, at most ten tags of 128 + 256 characters, five
 * headers): this is one Table column's worth, far above any real blob's and far below a row's limit.
 */
const MAX_FACTS_CHARS = 30_000;
/** Characters of one transaction's rows: Table storage takes at most 4 MiB in one batch (UTF-8). */
const MAX_BATCH_CHARS = 1_000_000;

async function indexFiles(ctx: HttpContext, request: LoadIndexRequest): Promise<Map<string, string>> {
  const byName = new Map<string, string>();
  let folderId: string;
  try {
    folderId = await folderIdByPath(
      ctx,
      request.location,
      joinDrivePath(
        request.folderPath,
        request.crypt ? request.crypt.storedDirPath(RUN_INDEX_FOLDER) : RUN_INDEX_FOLDER,
      ),
      request.tokens,
    );
  } catch (error) {
    // A backup written before run indexes existed, or a folder that is not a backup: no index.
    if (isAppError(error, 'NotFound') || isAppError(error, 'ValidationFailed')) return byName;
    throw error;
  }
  let nextLink: string | undefined;
  do {
    const page = await childrenPage(ctx, request.location, folderId, request.tokens, nextLink);
    for (const item of page.items) {
      const name = item.kind === 'file' ? plainName(item.name, request.crypt) : undefined;
      if (name && parseRunIndexFileName(name)) byName.set(name, item.id);
    }
    nextLink = page.nextLink;
  } while (nextLink);
  return byName;
}

/** The index file's own name; undefined for one the job's keys do not decrypt. */
function plainName(stored: string, crypt?: RestoreCrypt): string | undefined {
  if (!crypt) return stored;
  try {
    return crypt.decryptPath(stored);
  } catch {
    return undefined;
  }
}

export async function loadRunIndex(
  ctx: HttpContext,
  store: RestoreIndexStore,
  request: LoadIndexRequest,
): Promise<LoadedIndex> {
  const candidates = await indexFiles(ctx, request);
  const name = newestRunIndex([...candidates.keys()]);
  if (!name) {
    const none: LoadedIndex = { files: 0 };
    await store.setLoaded(request.runId, none);
    return none;
  }
  const itemId = candidates.get(name)!;
  const item = await getDriveFile(ctx, request.location, itemId, request.tokens);
  const url = item.downloadUrl ?? (await contentRedirect(ctx, request.location, itemId, request.tokens));
  // A pre-authenticated URL: no Authorization header (a personal drive refuses one).
  const sent = await send(meteredContext(ctx, 'rangeRequests'), { method: 'GET', url });
  if ('network' in sent || !sent.response.ok || !sent.response.body)
    throw new AppError('Transient', `Downloading the run index ${name} failed.`, {
      detail: 'network' in sent ? sent.network : `${sent.response.status}`,
    });
  const hash = new QuickXorHash();
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  const hashed = Readable.fromWeb(sent.response.body as never).pipe(hashing);
  // The hash is OneDrive's, of the stored bytes; an encrypted index is decrypted after it.
  const raw = request.crypt ? hashed.pipe(request.crypt.decrypting()) : hashed;
  const text = parseRunIndexFileName(name)!.gzip ? raw.pipe(createGunzip()) : raw;
  // Keyed by name: a transaction may not write one row twice, and a later line wins, as across batches.
  let batch = new Map<string, IndexedFile>();
  let batchChars = 0;
  let files = 0;
  let unreadable = 0;
  for await (const line of createInterface({ input: text, crlfDelay: Infinity })) {
    if (!line.trim()) continue;
    const parsed = parseRunIndexLine(line);
    // Whoever can write to the drive can write this file: a line that cannot be a blob's (a name
    // no blob has, facts no blob can carry) is not loaded, so it cannot stop the restore.
    const factsChars = parsed?.kind === 'file' && parsed.facts ? JSON.stringify(parsed.facts).length : 0;
    if (
      !parsed ||
      (parsed.kind === 'file' &&
        (parsed.name.length === 0 || parsed.name.length > MAX_NAME_CHARS || factsChars > MAX_FACTS_CHARS))
    ) {
      unreadable += 1;
      continue;
    }
    if (parsed.kind !== 'file') continue;
    if (request.prefix && !parsed.name.startsWith(request.prefix)) continue;
    if (!batch.has(parsed.name)) files += 1;
    batch.set(parsed.name, {
      name: parsed.name,
      size: parsed.size,
      quickXorHash: parsed.quickXorHash,
      facts: parsed.facts,
    });
    batchChars += parsed.name.length + factsChars;
    if (batch.size >= 100 || batchChars >= MAX_BATCH_CHARS) {
      await store.putFiles(request.runId, [...batch.values()]);
      batch = new Map();
      batchChars = 0;
    }
  }
  await store.putFiles(request.runId, [...batch.values()]);
  if (hash.length !== item.size || hash.digest() !== item.quickXorHash)
    // Transient: a download damaged on the way is loaded again by the redelivered listing.
    throw new AppError('Transient', `The run index ${name} does not match OneDrive's quickXorHash.`);
  // Lines not in the index's format are counted and reported, not trusted; the files they might
  // have described are still restored (without properties), and the report names the number.
  const loaded: LoadedIndex = { name, runId: parseRunIndexFileName(name)!.runId, files, unreadable };
  await store.setLoaded(request.runId, loaded);
  return loaded;
}
