// Writes the run index (src/graph/runIndex.ts) into the backup folder at the end of a run, from the
// job's manifest after housekeeping (so it lists exactly what the folder holds). Memory stays
// bounded whatever the job's size: the manifest is read page by page into a temporary file, which
// is gzipped when large and then streamed into the drive by the upload engine, one chunk at a time.
// The manifest, not the run's file rows, is the source: a mirror run copies only what changed, yet
// its index must describe every file in the folder; a snapshot's index keeps to its own folder.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { once } from 'node:events';
import { createGzip } from 'node:zlib';
import { AppError, isAppError } from '../errors';
import {
  encryptedSize,
  encryptingRangeReader,
  newFileNonce,
  remoteNameCipher,
  sodiumReady,
  type CryptKeys,
  type NameCipher,
} from '../crypt';
import { isEncrypted } from '../store/jobEncryption';
import { graphCall, type GraphHttpContext } from '../graph/http';
import { readDriveItem, readPage } from '../graph/model';
import { graphPath, joinDrivePath } from '../graph/names';
import {
  RUN_INDEX_FOLDER,
  RUN_INDEX_FORMAT,
  RUN_INDEX_GZIP_BYTES,
  parseRunIndexFileName,
  runIndexFileName,
  runIndexLine,
} from '../graph/runIndex';
import { DEFAULT_RETRY_POLICY } from '../runtime/retry';
import type { Job } from '../store/jobs';
import type { Run } from '../store/runs';
import type { BackupDeps, DriveDestination } from './deps';
import { runFolder } from './destination';
import { quickXorAlgorithm, uploadFile } from './upload';

export interface WrittenIndex {
  /** Drive path of the index (decoded). */
  path: string;
  files: number;
  bytes: number;
  /** Older indexes removed (a mirror gets one per run; the newest few are kept). */
  pruned: number;
}

/** Indexes kept per folder: the newest describes the folder; a few more help explain its history. */
export const KEEP_RUN_INDEXES = 10;

export async function writeRunIndex(
  deps: Pick<BackupDeps, 'manifest' | 'settings' | 'clock' | 'log' | 'crypt'>,
  job: Job,
  run: Run,
  destination: DriveDestination,
  /** Gzip above this many bytes (tests lower it to take the gzip path with a few files). */
  gzipBytes = RUN_INDEX_GZIP_BYTES,
): Promise<WrittenIndex> {
  const folder = runFolder(destination.rootFolder, job, run);
  const dir = await mkdtemp(join(tmpdir(), 'aob-index-'));
  try {
    const plain = join(dir, 'index.jsonl');
    const files = await writeLines(deps, job, run, folder, plain);
    const gzip = (await stat(plain)).size > gzipBytes;
    const file = gzip ? join(dir, 'index.jsonl.gz') : plain;
    if (gzip) await pipeline(createReadStream(plain), createGzip(), createWriteStream(file));
    // An encrypted job's index is encrypted like its files, name included: it names every file.
    const crypt = isEncrypted(job.encryption) ? await indexCrypt(deps, job) : undefined;
    const relative = `${RUN_INDEX_FOLDER}/${runIndexFileName(run.id, gzip)}`;
    const path = joinDrivePath(folder, crypt ? crypt.names.encryptPath(relative) : relative);
    const bytes = (await stat(file)).size;
    await upload(deps, job, destination, path, file, bytes, crypt?.keys);
    const indexFolder = crypt ? crypt.names.encryptDirPath(RUN_INDEX_FOLDER) : RUN_INDEX_FOLDER;
    const pruned = await pruneOldIndexes(deps, destination, joinDrivePath(folder, indexFolder), crypt?.names);
    return { path, files, bytes, pruned };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function writeLines(
  deps: Pick<BackupDeps, 'manifest' | 'clock'>,
  job: Job,
  run: Run,
  folder: string,
  file: string,
): Promise<number> {
  const out = createWriteStream(file);
  const write = async (text: string): Promise<void> => {
    if (!out.write(text)) await once(out, 'drain');
  };
  let files = 0;
  try {
    await write(
      runIndexLine({
        kind: 'header',
        format: RUN_INDEX_FORMAT,
        version: 1,
        runId: run.id,
        jobId: job.id,
        mode: job.mode,
        container: job.source.container,
        prefix: job.source.prefix || undefined,
        writtenAt: new Date(deps.clock.now()).toISOString(),
      }),
    );
    const under = `${folder}/`;
    for await (const entry of deps.manifest.list(job.id)) {
      // Only what lies in this folder: a snapshot's own files (other runs' rows point elsewhere).
      if (!entry.drivePath.startsWith(under)) continue;
      await write(
        runIndexLine({
          kind: 'file',
          name: entry.blobName,
          path: entry.drivePath.slice(under.length),
          size: entry.size,
          contentMd5: entry.contentMd5,
          quickXorHash: entry.quickXorHash,
          etag: entry.etag,
          facts: entry.facts,
        }),
      );
      files += 1;
    }
  } finally {
    out.end();
    await once(out, 'close');
  }
  return files;
}

async function indexCrypt(
  deps: Pick<BackupDeps, 'crypt'>,
  job: Job,
): Promise<{ keys: CryptKeys; names: NameCipher }> {
  if (!deps.crypt || !isEncrypted(job.encryption))
    throw new AppError('EncryptionKeysMissing', `The encryption keys of job ${job.name} are not available.`);
  const keys = await deps.crypt.keys(job.id);
  return { keys, names: remoteNameCipher(keys, job.encryption) };
}

async function upload(
  deps: Pick<BackupDeps, 'settings' | 'clock' | 'log'>,
  job: Job,
  destination: DriveDestination,
  path: string,
  file: string,
  plainSize: number,
  keys?: CryptKeys,
): Promise<void> {
  const handle = await open(file, 'r');
  const readPlain = async (offset: number, count: number): Promise<Buffer> => {
    const buffer = Buffer.allocUnsafe(count);
    const { bytesRead } = await handle.read(buffer, 0, count, offset);
    return buffer.subarray(0, bytesRead);
  };
  // Written in one go, so a fresh random nonce (rclone's own choice) needs no resuming.
  if (keys) await sodiumReady();
  const size = keys ? encryptedSize(plainSize) : plainSize;
  const read = keys ? encryptingRangeReader(keys, newFileNonce(), plainSize, readPlain) : readPlain;
  try {
    const outcome = await uploadFile(
      {
        target: {
          apiBaseUrl: destination.apiBaseUrl,
          driveId: destination.driveId,
          encodedPath: graphPath(path),
        },
        size,
        read,
        tokens: destination.tokens,
      },
      {
        chunkBytes: job.chunkSizeBytes,
        simpleUploadMaxBytes: deps.settings.simpleUploadMaxBytes,
        // End-of-run work runs outside any file's budget, as housekeeping does.
        deadline: Number.MAX_SAFE_INTEGER,
        allowedUploadHosts: destination.allowedUploadHosts,
        clock: deps.clock,
        retry: DEFAULT_RETRY_POLICY,
        hash: quickXorAlgorithm,
        log: deps.log,
        requestTimeoutMs: 120_000,
      },
    );
    if (outcome.status !== 'completed') throw new Error('The run index upload did not complete.');
  } finally {
    await handle.close();
  }
}

/** An index file's own name; undefined for a name the job's keys do not decrypt (not one of ours). */
function storedIndexName(name: string, names?: NameCipher): string | undefined {
  if (!names) return name;
  try {
    return names.decryptPath(name);
  } catch {
    return undefined;
  }
}

/** Removes all but the newest KEEP_RUN_INDEXES index files of the folder (to the recycle bin). */
async function pruneOldIndexes(
  deps: Pick<BackupDeps, 'clock' | 'log'>,
  destination: DriveDestination,
  folder: string,
  names?: NameCipher,
): Promise<number> {
  const ctx: GraphHttpContext = {
    clock: deps.clock,
    retry: DEFAULT_RETRY_POLICY,
    log: deps.log,
    requestTimeoutMs: 60_000,
    deadline: Number.MAX_SAFE_INTEGER,
  };
  const drive = `${destination.apiBaseUrl}/drives/${encodeURIComponent(destination.driveId)}`;
  const indexes: Array<{ name: string; runId: string }> = [];
  let url: string | undefined = `${drive}/root:/${graphPath(folder)}:/children?$select=id,name,file`;
  while (url) {
    const body: unknown = (
      await graphCall(ctx, destination.tokens, { method: 'GET', url }, 'List run indexes')
    ).body;
    const page = readPage(body, readDriveItem);
    for (const item of page.value) {
      const plainName = item.file && item.name ? storedIndexName(item.name, names) : undefined;
      const parsed = plainName ? parseRunIndexFileName(plainName) : undefined;
      if (parsed) indexes.push({ name: item.name!, runId: parsed.runId });
    }
    url = page.nextLink;
  }
  // Run ids sort newest first.
  const old = indexes.sort((a, b) => (a.runId < b.runId ? -1 : 1)).slice(KEEP_RUN_INDEXES);
  for (const item of old) {
    try {
      await graphCall(
        ctx,
        destination.tokens,
        // By path, not id: the request itself then says it touches the app's folder only.
        { method: 'DELETE', url: `${drive}/root:/${graphPath(`${folder}/${item.name}`)}` },
        'Delete old run index',
      );
    } catch (error) {
      if (!isAppError(error, 'NotFound')) throw error;
    }
  }
  return old.length;
}
