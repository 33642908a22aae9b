// Restores one OneDrive file into a block blob, verified before it becomes visible:
//   1. read the driveItem (size, quickXorHash, download URL) and check it lies under the restored
//      folder (./containment.ts): a task may name any item id, the folder is the run's own;
//   2. apply the overwrite policy; an existing blob with the same size and the hash an earlier
//      verified restore recorded is a no-op (a redelivered task changes nothing);
//   3. find blocks staged by an earlier invocation (../blockIds.ts) and continue after them with
//      their hash state: no range is downloaded twice across invocations;
//   4. download the rest in ranges (block n+1 in flight while block n is hashed and staged; about
//      two blocks in memory), hashing while streaming and staging each range as one block;
//   5. compare size and quickXorHash with the item; only then commit the block list. A mismatch
//      commits nothing and fails the file with HashMismatch.
// A time budget per invocation: when it runs out, the outcome is a continuation (item id, next
// offset, hash state); the staged blocks stay (the service keeps them about a week).
import { AppError } from '../../errors';
import { QuickXorHash } from '../../graph/quickXorHash';
import { readAhead } from '../../sources/readAhead';
import type { SourceChunk } from '../../sources/types';
import { blockCount, blockId, blockLength, blockPlan, resumePoint, type BlockPlan } from './blockIds';
import { assertInsideFolder } from './containment';
import { contentRedirect, getDriveFile } from './graphItems';
import type { HttpContext } from './http';
import { DeadlineReached } from '../../runtime/retry';
import { downloadLink, readRange, type DownloadLink } from './rangeReader';
import {
  emptyStats,
  MAX_BLOCK_SIZE,
  type DownloadOptions,
  type DriveFile,
  type RestoreFileRequest,
  type RestoreOutcome,
} from './types';

export async function restoreFile(
  request: RestoreFileRequest,
  options: DownloadOptions,
): Promise<RestoreOutcome> {
  if (!Number.isInteger(options.blockSize) || options.blockSize < 1 || options.blockSize > MAX_BLOCK_SIZE)
    throw new RangeError(`blockSize must be 1-${MAX_BLOCK_SIZE} bytes, got ${options.blockSize}`);
  const { decryption } = request;
  // An encrypted file's blocks are whole cipher blocks' worth of plaintext (see ContentDecryption).
  const blockSize = decryption
    ? Math.max(decryption.blockUnit, options.blockSize - (options.blockSize % decryption.blockUnit))
    : options.blockSize;
  const stats = emptyStats();
  const ctx: HttpContext = {
    clock: options.clock,
    retry: options.retry,
    log: options.log.child({ blob: request.target.blobName, itemId: request.itemId }),
    requestTimeoutMs: options.requestTimeoutMs,
    deadline: options.deadline,
    stats,
    fetch: options.fetch ?? fetch,
    backoff: options.backoff,
  };
  const { location, itemId, target, tokens } = request;

  let item: DriveFile;
  try {
    item = await getDriveFile(ctx, location, itemId, tokens);
  } catch (error) {
    if (error instanceof DeadlineReached) return handOver(request, 0, new QuickXorHash());
    throw error;
  }
  assertInsideFolder(item, location.folderPath);
  // The drive's own hash only proves the download matches the drive. Anyone who can write to the
  // drive can change a file there, and an encrypted file cut at a block boundary still decrypts
  // (rclone's format authenticates each block, not how many there are), so a restore from the
  // job's manifest also holds the copy to the hash the backup recorded when it wrote it.
  if (request.recorded && request.recorded.quickXorHash !== item.quickXorHash)
    throw new AppError(
      'HashMismatch',
      `The OneDrive copy of "${target.blobName}" is not the one the backup wrote (its quickXorHash differs from the job's manifest); nothing was written.`,
      {
        detail: `manifest ${request.recorded.quickXorHash}, drive ${item.quickXorHash} (${item.size} bytes)`,
        advice:
          "It was changed or cut short in OneDrive after the backup. Earlier versions may be in the file's OneDrive version history; a restore from the connection (disaster recovery) takes the drive's copy as it is.",
      },
    );
  // The size the restored blob has: the item's, or for an encrypted file its plaintext's.
  const size = decryption ? decryption.plainSize(item.size) : item.size;

  const existing = await target.properties();
  if (existing) {
    if (existing.size === size && existing.quickXorHash === item.quickXorHash)
      return { status: 'skipped', reason: 'identical', size, stats };
    if (options.overwrite === 'skip-existing') return { status: 'skipped', reason: 'exists', size, stats };
    if (options.overwrite === 'fail-if-exists')
      throw new AppError(
        'Conflict',
        `The blob "${target.blobName}" already exists in the target container.`,
        {
          advice:
            'Restore into an empty container, or choose the overwrite policy "overwrite" or "skip-existing".',
        },
      );
  }

  const plan = blockPlan({ ...item, size }, blockSize);
  const link = downloadLink(item.downloadUrl, async () => {
    // A fresh URL: the item again (its URL is new each time), or the content redirect.
    const fresh = await getDriveFile(ctx, location, itemId, tokens);
    if (fresh.size !== item.size || fresh.quickXorHash !== item.quickXorHash)
      throw new AppError('Conflict', `The OneDrive file ${itemId} changed during the restore.`, {
        advice: 'Run the restore again to restore its new version.',
      });
    return fresh.downloadUrl ?? contentRedirect(ctx, location, itemId, tokens);
  });

  const staged = resumePoint(plan, await target.uncommittedBlocks());
  if (request.continuation && staged.state?.length !== request.continuation.nextOffset)
    // Only informative: the staged list is what will be committed, so it decides where to go on.
    ctx.log.warn('restore.resume.mismatch', {
      continuationOffset: request.continuation.nextOffset,
      stagedOffset: staged.state?.length ?? 0,
    });
  stats.blocksSkipped = staged.nextIndex;

  let ids = staged.ids;
  let hash = staged.state ? QuickXorHash.fromState(staged.state) : new QuickXorHash();
  let outcome = await stageFrom(ctx, plan, staged.nextIndex, ids, hash, link, request, options);
  if (outcome === 'continue') return handOver(request, hash.length, hash, stats);

  // Encrypted: every block was authenticated as it was opened, and the hash is of the plaintext.
  const hashMatches = (digest: string): boolean => decryption !== undefined || digest === item.quickXorHash;
  let digest = hash.digest();
  if (!hashMatches(digest) && staged.nextIndex > 0) {
    // Blocks staged by an earlier invocation were trusted for their hash state. If the bytes of one
    // were damaged on the way in, every later attempt would fail the same way: download the whole
    // file once more (re-staging under the same ids replaces those blocks) before giving up.
    ctx.log.warn('restore.hash.retry-fresh', { reusedBlocks: staged.nextIndex });
    ids = [];
    hash = new QuickXorHash();
    outcome = await stageFrom(ctx, plan, 0, ids, hash, link, request, options);
    if (outcome === 'continue') return handOver(request, hash.length, hash, stats);
    digest = hash.digest();
  }
  if (hash.length !== size || !hashMatches(digest)) {
    ctx.log.error('restore.hash.mismatch', { size, received: hash.length });
    throw new AppError(
      'HashMismatch',
      `The bytes downloaded for "${target.blobName}" do not match OneDrive's quickXorHash; nothing was written.`,
      {
        detail: `expected ${size} bytes, ${item.quickXorHash}; got ${hash.length} bytes, ${digest}`,
        advice: 'Run the restore again; if it fails again, the copy in OneDrive may be damaged.',
      },
    );
  }

  // The index's facts belong to the version it describes: applied only when the drive's copy is it
  // (a stale index, from a run whose own index failed, must not dress a newer file in old facts).
  const indexed = request.indexed;
  const facts =
    indexed?.facts && indexed.size === size && indexed.quickXorHash === item.quickXorHash
      ? indexed.facts
      : undefined;
  const committed = await target.commit(ids, {
    quickXorHash: item.quickXorHash,
    mustNotExist: options.overwrite !== 'overwrite',
    facts,
  });
  if (facts && committed?.factsApplied === false)
    ctx.log.warn('restore.facts.refused', { reason: 'Blob storage refused the indexed properties' });
  ctx.log.info('restore.file.committed', {
    bytes: size,
    blocksStaged: stats.blocksStaged,
    blocksSkipped: stats.blocksSkipped,
    retries: stats.retries,
  });
  return {
    status: 'restored',
    size,
    quickXorHash: item.quickXorHash,
    name: item.name,
    stats,
    factsApplied: facts !== undefined && committed?.factsApplied !== false,
  };

  function handOver(
    req: RestoreFileRequest,
    nextOffset: number,
    state: QuickXorHash,
    s = stats,
  ): RestoreOutcome {
    return {
      status: 'continue',
      continuation: { itemId: req.itemId, nextOffset, hashState: JSON.stringify(state.toState()) },
      stats: s,
    };
  }
}

/**
 * Downloads, hashes and stages blocks from `startIndex` to the end, appending their ids to `ids`
 * and their bytes to `hash`. Returns 'continue' when the budget ran out (the hash and ids then
 * cover exactly the blocks staged).
 */
async function stageFrom(
  ctx: HttpContext,
  plan: BlockPlan,
  startIndex: number,
  ids: string[],
  hash: QuickXorHash,
  link: DownloadLink,
  request: RestoreFileRequest,
  options: DownloadOptions,
): Promise<'done' | 'continue'> {
  const total = blockCount(plan);
  if (startIndex >= total) {
    // An empty plaintext is the header alone: still one that must be ours.
    if (request.decryption && plan.size === 0)
      await request.decryption.decrypt(
        await readRange(ctx, link, 0, request.decryption.headerBytes),
        0,
        Buffer.alloc(0),
      );
    return 'done';
  }
  // A range is not even started once the budget is spent (its block could not be staged anyway).
  const { decryption } = request;
  let header: Buffer | undefined;
  const read = async (offset: number, count: number, signal?: AbortSignal): Promise<Buffer> => {
    if (ctx.clock.now() >= ctx.deadline) throw new DeadlineReached('Download', 0);
    if (!decryption) return readRange(ctx, link, offset, count, signal);
    // Each invocation reads the header once (the file's nonce): later blocks need it too.
    header ??= await readRange(ctx, link, 0, decryption.headerBytes, signal);
    const range = decryption.cipherRange(offset, count);
    return decryption.decrypt(header, offset, await readRange(ctx, link, range.offset, range.count, signal));
  };
  const chunks =
    options.readAhead === false
      ? sequential(read, plan, startIndex)
      : readAhead(read, {
          size: plan.size,
          chunkSize: plan.blockSize,
          startOffset: startIndex * plan.blockSize,
        });
  try {
    for await (const chunk of chunks) {
      // Checked before the block is used: a block downloaded but not staged is simply dropped.
      if (ctx.clock.now() >= ctx.deadline) return 'continue';
      const index = chunk.offset / plan.blockSize;
      if (chunk.data.length !== blockLength(plan, index))
        throw new Error(`Block ${index} has the wrong length`);
      hash.update(chunk.data);
      const id = blockId(plan, index, hash.toState());
      await request.target.stageBlock(id, chunk.data);
      ids.push(id);
      ctx.stats.blocksStaged += 1;
      await options.onProgress?.({ staged: hash.length, total: plan.size });
    }
  } catch (error) {
    if (error instanceof DeadlineReached) return 'continue';
    throw error;
  }
  return 'done';
}

async function* sequential(
  read: (offset: number, count: number) => Promise<Buffer>,
  plan: BlockPlan,
  startIndex: number,
): AsyncGenerator<SourceChunk> {
  for (let index = startIndex; index < blockCount(plan); index += 1) {
    const offset = index * plan.blockSize;
    yield { offset, data: await read(offset, blockLength(plan, index)) };
  }
}
