// The `restorer` queue handler. A list message lists one page (of the manifest, or of one drive
// folder's children) and queues one file task per file, the next page, and one listing per
// subfolder; a file message restores one file (../download/restoreFile.ts) and records its result.
// Every step is idempotent: a redelivered listing re-queues tasks that end as no-ops, a redelivered
// file task finds its blob committed and verified (no-op) or its blocks staged (resumes).
// What to restore and where is the run's recorded spec (./trustedSpec.ts), never the message's.
import { AppError, isAppError, isPermanent, messageWithAdvice } from '../errors';
import {
  APP_FOLDER_NAME,
  decodeDrivePath,
  isOfficeDocument,
  joinDrivePath,
  unescapeAppFolderSegments,
} from '../graph/names';
import { ALERT_EVENTS, logAlert, logRunEnded } from '../log/alertEvents';
import { blobNameProblem } from '../sources/blobNames';
import { loadRunIndex } from './index/loadIndex';
import { FACTS_NOT_APPLIED } from './index/report';
import { restoreFile } from './download/restoreFile';
import type { HttpContext } from './download/http';
import { emptyStats, type DriveLocation } from './download/types';
import { childrenPage, folderIdByPath, pickSnapshot } from './listing/driveChildren';
import { listingKeyOf } from './listing/ledger';
import type { ConnectionDrive, FileOutcome, RestoreCrypt, RestoreDeps } from './deps';
import {
  parseRestoreMessage,
  type FileMessage,
  type ListMessage,
  type RestoreMessage,
  type RestoreSpec,
} from './messages';
import { trustedSpec } from './trustedSpec';

export async function handleRestoreMessage(deps: RestoreDeps, raw: unknown): Promise<void> {
  const message = parseRestoreMessage(raw);
  const spec = await trustedSpec(deps, message);
  if (message.kind === 'file') return handleFile(deps, message, spec);
  try {
    await handleList(deps, message, spec);
  } catch (error) {
    // A snapshot or folder that does not exist, a revoked consent, a target the app may not write:
    // no delivery of this listing can succeed, so the restore ends now with the reason and advice
    // instead of after five deliveries in the poison queue. A refused message (MessageInvalid: a
    // tampered position) is not the restore's failure: it keeps the poison path, whose handler
    // decides what it may change.
    if (!isPermanent(error) || error.code === 'MessageInvalid') throw error;
    deps.log.error('restore.list.failed', { runId: message.runId, code: error.code, reason: error.message });
    await deps.runs.failRun(message.runPartition, message.runId, messageWithAdvice(error), {
      errorCode: error.code,
      advice: error.advice,
    });
  }
}

function httpContext(
  deps: RestoreDeps,
  connectionId: string,
  deadline = Number.MAX_SAFE_INTEGER,
): HttpContext {
  return {
    clock: deps.clock,
    retry: deps.retry,
    log: deps.log,
    requestTimeoutMs: deps.settings.requestTimeoutMs,
    deadline,
    stats: emptyStats(),
    fetch: deps.fetch ?? fetch,
    backoff: deps.backoff && { gate: deps.backoff, key: connectionId },
  };
}

function location(drive: ConnectionDrive, folderPath: string): DriveLocation {
  return { graphBaseUrl: drive.graphBaseUrl, driveId: drive.driveId, folderPath };
}

async function sendAll(deps: RestoreDeps, messages: RestoreMessage[]): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < messages.length) await deps.send(messages[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(deps.settings.sendConcurrency, messages.length) }, worker));
}

const matchesPrefix = (name: string, prefix?: string): boolean => !prefix || name.startsWith(prefix);

/** A folder may hold matching blobs when its decoded path and the prefix agree as far as both go. */
const folderMayMatch = (folder: string, prefix?: string): boolean =>
  !prefix || `${folder}/`.startsWith(prefix) || prefix.startsWith(`${folder}/`);

async function handleList(deps: RestoreDeps, message: ListMessage, spec: RestoreSpec): Promise<void> {
  const { runId, runPartition } = message;
  // What it queues carries ids and positions only: the spec stays in the run record.
  const base = { v: 1 as const, runId, runPartition };
  let source = message.source;
  const listingKey = listingKeyOf(source);
  const files: FileMessage[] = [];
  const listings: ListMessage[] = [];
  const log = deps.log.child({ runId, listing: listingKey });

  if (source.type === 'manifest') {
    if (source.page === 0) {
      await start(deps, message, spec);
      await loadIndex(deps, runId, spec, spec.rootPath);
    }
    const page = await deps.manifest.page(
      spec.manifestJobId!,
      source.continuationToken,
      deps.settings.manifestPageSize,
    );
    for (const entry of page.entries)
      if (matchesPrefix(entry.blobName, spec.prefix))
        files.push({
          ...base,
          kind: 'file',
          itemId: entry.driveItemId,
          blobName: entry.blobName,
          size: entry.size,
        });
    if (page.continuationToken)
      listings.push({
        ...base,
        kind: 'list',
        source: { type: 'manifest', page: source.page + 1, continuationToken: page.continuationToken },
      });
  } else {
    const drive = await deps.drive(spec.connectionId);
    const where = location(drive, spec.rootPath);
    const ctx = httpContext(deps, spec.connectionId);
    if (!source.folderId) {
      await start(deps, message, spec);
      let rootId = await folderIdByPath(ctx, where, spec.rootPath, drive.tokens);
      let folder = spec.rootPath;
      if (spec.snapshot) {
        const snapshot = await pickSnapshot(ctx, where, rootId, drive.tokens, spec.snapshot);
        log.info('restore.snapshot', { snapshot: snapshot.name });
        rootId = snapshot.id;
        folder = joinDrivePath(spec.rootPath, snapshot.name);
      }
      await loadIndex(deps, runId, spec, folder);
      source = { ...source, folderId: rootId };
    }
    const folderId = source.folderId!;
    const page = await childrenPage(ctx, where, folderId, drive.tokens, source.nextLink);
    const crypt = spec.encryption ? await cryptOf(deps, spec) : undefined;
    for (const item of page.items) {
      // Paths are kept as stored in OneDrive (encoded) and decoded only into blob names.
      const relPath = source.relPath ? `${source.relPath}/${item.name}` : item.name;
      const name = storedName(crypt, relPath, item.name);
      if (name === undefined) {
        log.warn('restore.name.undecryptable', { itemId: item.id });
        continue;
      }
      const decoded = name.path;
      if (item.kind === 'file') {
        if (matchesPrefix(decoded, spec.prefix))
          files.push({
            ...base,
            kind: 'file',
            itemId: item.id,
            blobName: decoded,
            size: plainSizeOf(crypt, item.size),
          });
      } else if (name.appFolder) {
        // The app's own folder (the run index), never a user's: blob names that would land there
        // are encoded to another name (src/graph/names.ts).
        continue;
      } else if (folderMayMatch(decoded, spec.prefix)) {
        listings.push({
          ...base,
          kind: 'list',
          source: { type: 'drive', folderId: item.id, relPath, page: 0 },
        });
      }
    }
    if (page.nextLink)
      listings.push({
        ...base,
        kind: 'list',
        source: {
          type: 'drive',
          folderId,
          relPath: source.relPath,
          page: source.page + 1,
          nextLink: page.nextLink,
        },
      });
  }

  // Order matters: planned counts, then this listing's row (with what it spawns), then the sends.
  // See ./listing/ledger.ts for why the row must exist before its children do.
  await deps.runs.recordListing(runId, listingKey, {
    files: files.length,
    bytes: files.reduce((sum, f) => sum + f.size, 0),
  });
  await deps.ledger.record(runId, listingKey, listings.length);
  // A name the target cannot hold inside its container fails here with the reason, rather than as a
  // task the restorer would refuse (and the run would wait for).
  const writable = await failUnwritable(deps, files);
  await sendAll(deps, [...writable, ...listings]);
  log.info('restore.listed', { files: files.length, listings: listings.length });
  if (await deps.ledger.complete(runId)) {
    await deps.runs.markListingComplete(runPartition, runId);
    await completeRun(deps, runPartition, runId);
  }
}

async function cryptOf(deps: RestoreDeps, spec: RestoreSpec) {
  if (!deps.crypt)
    throw new AppError(
      'ConfigInvalid',
      'This app cannot read the encryption keys an encrypted restore needs.',
    );
  return deps.crypt(spec.encryption!);
}

/**
 * The blob name a stored path stands for, and whether its last segment is the app's own folder:
 * decoded, and for an encrypted job decrypted. Undefined for a name the job's keys do not decrypt
 * (not one of its files).
 */
function storedName(
  crypt: RestoreCrypt | undefined,
  relPath: string,
  storedLast: string,
): { path: string; appFolder: boolean } | undefined {
  const decoded = decodeDrivePath(relPath);
  if (!crypt) return { path: decoded, appFolder: storedLast.toLowerCase() === APP_FOLDER_NAME };
  let raw: string;
  try {
    raw = crypt.decryptPath(decoded);
  } catch {
    return undefined;
  }
  const last = raw.slice(raw.lastIndexOf('/') + 1);
  return { path: unescapeAppFolderSegments(raw), appFolder: last.toLowerCase() === APP_FOLDER_NAME };
}

/** Sizes in the drive are the ciphertext's for an encrypted job; a run counts the original bytes. */
function plainSizeOf(crypt: RestoreCrypt | undefined, size: number): number {
  if (!crypt) return size;
  try {
    return crypt.content.plainSize(size);
  } catch {
    return size; // its file task fails with the reason
  }
}

async function failUnwritable(deps: RestoreDeps, files: FileMessage[]): Promise<FileMessage[]> {
  const writable: FileMessage[] = [];
  for (const file of files) {
    const problem = blobNameProblem(file.blobName);
    if (!problem) {
      writable.push(file);
      continue;
    }
    deps.log.error('restore.file.failed', {
      runId: file.runId,
      errorCode: 'MessageInvalid',
      reason: problem,
    });
    await deps.runs.finishFile(file.runId, file.blobName, {
      status: 'failed',
      size: file.size,
      driveItemId: file.itemId,
      code: 'MessageInvalid',
      reason: `Not restored: ${problem}; a restore writes only inside its own container.`,
    });
  }
  return writable;
}

/** Loads the folder's newest run index into the run's rows, before any file task exists. */
async function loadIndex(
  deps: RestoreDeps,
  runId: string,
  spec: RestoreSpec,
  folderPath: string,
): Promise<void> {
  if (!deps.index) return;
  const drive = await deps.drive(spec.connectionId);
  const loaded = await loadRunIndex(httpContext(deps, spec.connectionId), deps.index, {
    runId,
    location: location(drive, folderPath),
    folderPath,
    tokens: drive.tokens,
    prefix: spec.prefix,
    crypt: spec.encryption ? await cryptOf(deps, spec) : undefined,
  });
  deps.log.info('restore.index.loaded', { runId, index: loaded.name ?? 'none', files: loaded.files });
}

async function start(deps: RestoreDeps, message: ListMessage, spec: RestoreSpec): Promise<void> {
  await deps.ensureContainer(spec);
  await deps.runs.markRunning(message.runPartition, message.runId);
}

/** Failures a later delivery cannot cure: recorded on the file at once instead of retried. */
function isFinalFailure(error: unknown): error is AppError {
  return isAppError(error) && !error.retryable;
}

async function handleFile(deps: RestoreDeps, message: FileMessage, spec: RestoreSpec): Promise<void> {
  const { runId, runPartition, blobName, itemId } = message;
  const log = deps.log.child({ runId, blob: blobName, itemId });
  let outcome: FileOutcome;
  try {
    // Four independent reads, at once: each file task (and each continuation of it) pays them.
    const [drive, indexed, crypt, recorded] = await Promise.all([
      deps.drive(spec.connectionId),
      deps.index?.get(runId, blobName),
      spec.encryption ? cryptOf(deps, spec) : undefined,
      spec.manifestJobId ? deps.manifest.get(spec.manifestJobId, blobName) : undefined,
    ]);
    const started = deps.clock.now();
    const result = await restoreFile(
      {
        location: location(drive, spec.rootPath),
        itemId,
        target: deps.target(spec, blobName),
        tokens: drive.tokens,
        continuation: message.continuation,
        indexed,
        decryption: crypt?.content,
        // Entries written before hashes were recorded, or for another item, are not evidence.
        recorded:
          recorded?.quickXorHash && recorded.driveItemId === itemId
            ? { quickXorHash: recorded.quickXorHash }
            : undefined,
      },
      {
        blockSize: deps.settings.blockSize,
        deadline: started + deps.settings.invocationBudgetSeconds * 1000,
        overwrite: spec.overwrite,
        clock: deps.clock,
        retry: deps.retry,
        log,
        requestTimeoutMs: deps.settings.requestTimeoutMs,
        fetch: deps.fetch,
        backoff: deps.backoff && { gate: deps.backoff, key: spec.connectionId },
        onProgress: ({ staged, total }) => deps.runs.fileProgress(runId, blobName, total, staged),
      },
    );
    if (result.status === 'continue') {
      log.info('restore.file.continue', { nextOffset: result.continuation.nextOffset });
      // Without a legacy spec copy: the continuation is a message of the new shape.
      const { spec: _legacy, ...task } = message;
      await deps.send({ ...task, continuation: result.continuation });
      return;
    }
    outcome =
      result.status === 'restored'
        ? {
            status: 'restored',
            size: result.size,
            driveItemId: itemId,
            ...restoredNotes(rewriteNote(drive, result.name), Boolean(indexed && !result.factsApplied)),
          }
        : { status: 'skipped', size: result.size, driveItemId: itemId, reason: result.reason };
    log.info('restore.file.done', {
      status: result.status,
      bytes: result.size,
      durationMs: deps.clock.now() - started,
      rangeRequests: result.stats.rangeRequests,
      retries: result.stats.retries,
    });
  } catch (error) {
    if (!isFinalFailure(error)) throw error; // the queue retries; the poison handler records it
    log.error('restore.file.failed', { errorCode: error.code, error });
    outcome = {
      status: 'failed',
      size: message.size,
      driveItemId: itemId,
      code: error.code,
      reason: error.message,
    };
  }
  await deps.runs.finishFile(runId, blobName, outcome);
  await completeRun(deps, runPartition, runId);
}

/**
 * An Office document stored under its own name on a business drive or library (a job with
 * officeFiles: native) was rewritten by SharePoint after upload: the restore has the library's
 * bytes, verified against the library's hash, not the original ones. The suffixed name that
 * officeFiles: exact stores is not an Office name to SharePoint, so those come back exact.
 */
/** What a restored file's row says beside "restored": SharePoint's rewrite, facts not put back. */
function restoredNotes(
  rewrite: string | undefined,
  factsMissing: boolean,
): { note?: string; rewritten?: boolean } {
  const notes = [rewrite, factsMissing ? FACTS_NOT_APPLIED : undefined].filter((n) => n !== undefined);
  return {
    ...(notes.length ? { note: notes.join(' ') } : {}),
    ...(rewrite ? { rewritten: true } : {}),
  };
}

function rewriteNote(drive: ConnectionDrive, storedName: string | undefined): string | undefined {
  if (!storedName || drive.driveType === undefined || drive.driveType === 'personal') return undefined;
  if (!isOfficeDocument(storedName)) return undefined;
  return "Rewritten by SharePoint: this Office document was stored under its own name, so its bytes are the library's rewritten copy (document properties promoted), not the original.";
}

/** restore-poison: a message that failed every delivery. Its file fails; a lost listing fails the run. */
export async function handleRestorePoison(deps: RestoreDeps, raw: unknown): Promise<void> {
  // The Functions host moved the message here itself; this is the first code that sees it.
  const named = (raw && typeof raw === 'object' ? raw : {}) as { runId?: unknown };
  logAlert(deps.log, ALERT_EVENTS.poison, {
    queue: 'restore',
    runId: typeof named.runId === 'string' ? named.runId : undefined,
  });
  let message: RestoreMessage;
  try {
    message = parseRestoreMessage(raw);
  } catch (error) {
    deps.log.error('restore.poison.unreadable', { error });
    return;
  }
  try {
    await trustedSpec(deps, message);
  } catch (error) {
    // Not this run's message (no such restore run, or a spec that disagrees with it): recording a
    // failed file or failing the run would let a forged message change a run it does not belong to.
    if (!isAppError(error, 'MessageInvalid')) throw error;
    deps.log.error('restore.poison.refused', { runId: message.runId, error });
    return;
  }
  if (message.kind === 'file') {
    await deps.runs.finishFile(message.runId, message.blobName, {
      status: 'failed',
      size: message.size,
      driveItemId: message.itemId,
      code: 'Poison',
      reason: 'The file kept failing on every delivery (see the logs for each attempt); it was not restored.',
    });
    await completeRun(deps, message.runPartition, message.runId);
    return;
  }
  const error = new AppError(
    'UpstreamError',
    `Listing ${listingKeyOf(message.source)} kept failing; the restore is incomplete.`,
  ).message;
  await deps.runs.failRun(message.runPartition, message.runId, error);
  logRunEnded(deps.log, { runId: message.runId, kind: 'restore', status: 'failed' }, { error });
}

/** The completion check, with the alert a failed or partially failed restore raises when it ends. */
async function completeRun(deps: RestoreDeps, runPartition: string, runId: string): Promise<void> {
  const status = await deps.runs.checkCompletion(runPartition, runId);
  if (status) logRunEnded(deps.log, { runId, kind: 'restore', status });
}
