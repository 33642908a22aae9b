// Uploads one file into a drive: a simple PUT for small files, an upload session for the rest, with
// Graph's retry and resume rules and a continuation when the invocation's time runs out.
//
// Hash bookkeeping, the part that is easy to get wrong: `hasher` always covers exactly the bytes
// [0, committed) the server has acknowledged. A chunk is hashed into a copy while it is on the wire
// and the copy replaces `hasher` only when the server takes the chunk, so every byte is hashed once
// on the normal path. When the server's view differs from ours (a lost response, a crash, a
// continuation from a message) we trust the server's nextExpectedRanges and move the hash to match:
// forward by hashing the missing bytes (from the chunk in memory, or re-read from the ETag-pinned
// source: a re-read costs a blob download, never a re-upload); backward, which a hash cannot do, by
// re-hashing from byte 0 out of the source. Restarting the session instead would be simpler but
// resends bytes the server already holds; re-reading them is cheaper and just as exact.
//
// Crash resume: with `request.checkpoints` the session (URL, offset, hash state) is saved after it
// is created and after every acknowledged chunk, so an attempt after a crash loads it and resumes
// through the same realignment: the server is usually one chunk ahead of the saved offset (its
// acknowledgement arrived, the save did not), which costs one chunk hashed from the source and
// nothing resent; the chunk on the wire at the crash is the only one sent twice. A session's first
// save is awaited before its first chunk (so a crash never leaves a session without a row), and the
// finished state is saved too, for a task that dies before recording the file (see Checkpointer.finish).
import { AppError, isAppError, isPermanent } from '../../errors';
import {
  awaitTurn,
  describe,
  exchange,
  graphCall,
  keptFailing,
  noteThrottle,
  retryAfterOf,
  type Exchange,
  type GraphHttpContext,
} from '../../graph/http';
import { graphFailureToError } from '../../graph/errors';
import { readUploadSession } from '../../graph/model';
import { DeadlineReached, nextRetryStep } from '../../runtime/retry';
import { ensureFileDate, fileSystemInfo } from './fileDates';
import { chunkPoolFor, type ChunkPool } from './chunkPool';
import { ChunkPrefetcher } from './prefetch';
import { firstExpectedByte } from './ranges';
import { Checkpointer } from './sessionStore';
import { contentUrl, createSessionUrl, itemByIdUrl, itemUrl } from './targetUrls';
import type {
  ContentHasher,
  UploadContinuation,
  UploadedItem,
  UploadOptions,
  UploadOutcome,
  UploadRequest,
  UploadStats,
} from './types';
import { assertUploadUrl } from './uploadUrl';
import { readItem, verifyItem } from './verify';

/** The one HTTP layer's context, with the statistics its meter fills. */
type UploadContext = GraphHttpContext & { stats: UploadStats };

type DriveItem = ReturnType<typeof readItem>;

/** New sessions one invocation may start (after 404s) before the file fails. */
const MAX_SESSIONS = 3;

export async function uploadFile(request: UploadRequest, options: UploadOptions): Promise<UploadOutcome> {
  const stats: UploadStats = {
    requests: 0,
    bytesSent: 0,
    retries: 0,
    sessionsCreated: 0,
    throttles: 0,
    throttledMs: 0,
  };
  const ctx: UploadContext = {
    clock: options.clock,
    retry: options.retry,
    log: options.log,
    requestTimeoutMs: options.requestTimeoutMs,
    deadline: options.deadline,
    backoff: options.backoff,
    meter: {
      throttled: () => {
        stats.throttles += 1;
      },
      waited: (ms) => {
        stats.throttledMs += ms;
      },
      request: (bodyBytes) => {
        stats.requests += 1;
        stats.bytesSent += bodyBytes;
      },
      retry: () => {
        stats.retries += 1;
      },
    },
    stats,
  };
  if (!Number.isSafeInteger(request.size) || request.size < 0)
    throw new AppError('MessageInvalid', `Invalid file size ${request.size}.`);
  if (!request.continuation && request.size <= options.simpleUploadMaxBytes) {
    const item = await simpleUpload(request, options, ctx);
    return { status: 'completed', item, stats };
  }
  return new SessionUpload(request, options, ctx).run();
}

async function simpleUpload(
  request: UploadRequest,
  options: UploadOptions,
  ctx: UploadContext,
): Promise<UploadedItem> {
  const data = request.size === 0 ? Buffer.alloc(0) : await request.read(0, request.size);
  if (data.length !== request.size)
    throw new AppError(
      'UpstreamError',
      `The source returned ${data.length} bytes where ${request.size} were expected.`,
    );
  const hasher = options.hash.create();
  hasher.update(data);
  if (request.redelivered) {
    // A batch records its files at its end, so a crash mid-batch redelivers files the drive already
    // holds: one metadata read instead of sending each again.
    const held = await heldAlready(ctx, request, hasher.digest());
    if (held) {
      options.log.info('upload.simple.found', { size: request.size });
      await ensureFileDate(ctx, request.tokens, request.target, held, request.lastModified);
      return verify(ctx, request, held, hasher.digest(), options);
    }
  }
  const result = await graphCall(
    ctx,
    request.tokens,
    {
      method: 'PUT',
      url: contentUrl(request.target),
      headers: { 'content-type': 'application/octet-stream' },
      body: data,
    },
    'Simple upload',
  );
  const answered = readItem(result.body);
  const verified = await verify(ctx, request, answered, hasher.digest(), options);
  // PUT content carries no dates: one PATCH after it (./fileDates.ts says why not a session).
  await ensureFileDate(ctx, request.tokens, request.target, answered, request.lastModified);
  return verified;
}

/** The drive's item at the target path. */
async function itemAt(ctx: UploadContext, request: UploadRequest): Promise<DriveItem> {
  const found = await graphCall(
    ctx,
    request.tokens,
    { method: 'GET', url: itemUrl(request.target) },
    'Read the item at the target',
  );
  return readItem(found.body);
}

/** The drive's item at the target path, or undefined when there is none. */
async function itemIfAny(ctx: UploadContext, request: UploadRequest): Promise<DriveItem | undefined> {
  try {
    return await itemAt(ctx, request);
  } catch (error) {
    if (error instanceof AppError && error.code === 'NotFound') return undefined;
    throw error;
  }
}

/**
 * The one "does the drive already hold these bytes" check (exactly this size and quickXorHash), for
 * a redelivered small file, a session gone after a crash and a last chunk whose answer was lost.
 */
const holds = (item: DriveItem | undefined, size: number, digest: string): item is DriveItem =>
  item !== undefined && item.size === size && item.quickXorHash === digest;

/** The drive's item at the target when it holds exactly the request's bytes, else undefined. */
async function heldAlready(
  ctx: UploadContext,
  request: UploadRequest,
  digest: string,
): Promise<DriveItem | undefined> {
  const item = await itemIfAny(ctx, request);
  return holds(item, request.size, digest) ? item : undefined;
}

async function verify(
  ctx: UploadContext,
  request: UploadRequest,
  item: DriveItem,
  digest: string,
  options: UploadOptions,
): Promise<UploadedItem> {
  let checked = item;
  if (checked.quickXorHash === undefined) {
    // Some drives fill in hashes a moment after the upload: ask once more before judging.
    const again = await graphCall(
      ctx,
      request.tokens,
      { method: 'GET', url: itemByIdUrl(request.target, item.id) },
      'Read uploaded item',
    ).catch((error: unknown) => {
      if (!isAppError(error, 'NotFound')) throw error;
      // Gone between the upload and this read (deleted or moved on the drive at once, or a
      // library that does not yet serve the new item): the drive does not hold the copy, so the
      // file is sent again, by the queue's retry, instead of failing as if the source were gone.
      throw new AppError(
        'Transient',
        'The uploaded file was not on the drive when it was read back to check its quickXorHash.',
        { detail: error.detail, advice: 'The file is uploaded again.' },
      );
    });
    checked = readItem(again.body);
  }
  try {
    return verifyItem(checked, request.size, digest, options.acceptRewrite);
  } catch (error) {
    options.log.error('upload.verify.failed', { size: request.size, itemId: checked.id, error });
    throw error;
  }
}

class SessionUpload {
  private uploadUrl = '';
  private expiresAt?: string;
  private committed = 0;
  private hasher: ContentHasher;
  private readonly pool: ChunkPool;
  private readonly prefetch: ChunkPrefetcher;
  private readonly total: number;
  private failures = 0;
  private chunksSent = 0;
  private lastChunkMs = 0;
  private readonly checkpoint?: Checkpointer;

  constructor(
    private readonly request: UploadRequest,
    private readonly options: UploadOptions,
    private readonly ctx: UploadContext,
  ) {
    this.total = request.size;
    this.hasher = options.hash.create();
    this.pool = chunkPoolFor(options.chunkBytes);
    this.prefetch = new ChunkPrefetcher(request.read, request.size, this.pool);
    if (request.checkpoints) this.checkpoint = new Checkpointer(request.checkpoints, options.log);
  }

  async run(): Promise<UploadOutcome> {
    try {
      const finished = await this.start();
      const outcome = finished ? await this.completed(finished) : await this.loop();
      // Finished: kept (not cleared) until the task has recorded the file; see Checkpointer.finish.
      if (outcome.status === 'completed') await this.checkpoint?.finish(this.continuation());
      else this.checkpoint?.save(outcome.continuation);
      return outcome;
    } catch (error) {
      // A retry resumes the saved session; a permanent failure leaves nothing worth resuming.
      if (isPermanent(error)) await this.checkpoint?.clear();
      throw error;
    } finally {
      this.prefetch.discard();
      await this.checkpoint?.flush();
    }
  }

  /**
   * The saved session if there is one (the latest state), else the message's, else a new one.
   * Returns the drive's item when a resumed session turns out to have finished already.
   */
  private async start(): Promise<DriveItem | undefined> {
    const saved = await this.checkpoint?.load();
    if (saved) {
      this.options.log.info('upload.session.resumed', { committed: saved.nextOffset, size: this.total });
      try {
        return await this.resume(saved);
      } catch (error) {
        // A saved session this cloud would not accept (its settings changed): start a new one.
        if (!(error instanceof AppError && error.code === 'MessageInvalid')) throw error;
        this.options.log.warn('upload.session.unusable', { reason: error.message });
        await this.checkpoint?.clear();
      }
    }
    if (this.request.continuation) return this.resume(this.request.continuation);
    await this.newSession();
    return undefined;
  }

  private async loop(): Promise<UploadOutcome> {
    for (;;) {
      // The server holds every byte but we never saw the final answer: read the item by path.
      if (this.committed >= this.total) return this.completed(await itemAt(this.ctx, this.request));
      // Always send at least one chunk per invocation, so a budget shorter than one chunk still progresses.
      if (this.chunksSent > 0 && this.ctx.clock.now() + this.lastChunkMs >= this.ctx.deadline)
        return this.handOver();

      const offset = this.committed;
      const data = await this.prefetch.take(offset);
      try {
        await awaitTurn(this.ctx, `Upload at byte ${offset}`);
      } catch (error) {
        // The connection is throttled past this invocation's budget: the next one carries on.
        if (error instanceof DeadlineReached) return this.handOver();
        throw error;
      }
      const started = this.ctx.clock.now();
      const put = exchange(this.ctx, {
        method: 'PUT',
        // No Authorization header: the upload URL carries its own, and a token sent there leaks.
        url: this.uploadUrl,
        headers: {
          'content-range': `bytes ${offset}-${offset + data.length - 1}/${this.total}`,
          'content-type': 'application/octet-stream',
        },
        body: data,
      });
      // Hash while the bytes travel; this copy replaces `hasher` only if the server takes them.
      const candidate = this.options.hash.restore(this.hasher.save());
      candidate.update(data);
      const result = await put;
      noteThrottle(this.ctx, result);
      this.lastChunkMs = this.ctx.clock.now() - started;
      this.chunksSent += 1;

      if (result.kind === 'ok') {
        if (result.status === 200 || result.status === 201) {
          this.hasher = candidate;
          this.committed = offset + data.length;
          return this.completed(readItem(result.body));
        }
        const accepted = readUploadSession(result.body);
        // Each chunk extends the session: the saved expiry must follow, or a live session reads as dead.
        if (accepted.expirationDateTime) this.expiresAt = accepted.expirationDateTime;
        const next = firstExpectedByte(accepted.nextExpectedRanges, this.total);
        this.failures = 0;
        if (next === offset + data.length) {
          this.hasher = candidate;
          this.committed = next;
        } else {
          this.options.log.warn('upload.realign', {
            offset,
            expected: offset + data.length,
            server: next ?? 'unreadable',
          });
          await this.realignFromStatus(data, offset, next);
        }
        await this.reportProgress();
        continue;
      }
      if (result.kind === 'failed' && result.status === 404) {
        this.options.log.warn('upload.session.gone', { offset });
        await this.newSession();
        continue;
      }
      if (result.kind === 'failed' && result.status === 416) {
        // That range was already received: the server knows best where we are.
        this.options.log.warn('upload.range.conflict', { offset });
        await this.realignFromStatus(data, offset);
        continue;
      }
      if (result.kind === 'failed') {
        await this.abandon();
        throw graphFailureToError(result, 'Upload chunk');
      }
      // Throttled, 5xx or a network failure: wait (as told, or backing off), then ask the server
      // what it has before sending anything: the chunk may have arrived even if the answer did not.
      this.failures += 1;
      this.ctx.log.warn('upload.chunk.retry', { offset, attempt: this.failures, reason: describe(result) });
      const step = nextRetryStep(this.ctx.retry, this.ctx.clock, {
        attempt: this.failures,
        retryAfterMs: retryAfterOf(result),
        deadline: this.ctx.deadline,
      });
      if (step.action === 'give-up' && step.why === 'attempts')
        throw keptFailing(`Upload at byte ${offset}`, result);
      if (step.action === 'give-up') return this.handOver();
      this.ctx.stats.retries += 1;
      if (result.kind === 'throttled') this.ctx.stats.throttledMs += step.delayMs;
      await this.ctx.clock.sleep(step.delayMs);
      if (result.kind === 'throttled') continue;
      const next = await this.status();
      if (next === 'gone' && offset + data.length === this.total) {
        // The last chunk may have landed and finished the file while its answer was lost: if the
        // drive holds exactly our bytes, we are done without sending the file again.
        const finished = await this.finishedElsewhere(candidate);
        if (finished) return finished;
      }
      await this.realignFromStatus(data, offset, next);
    }
  }

  /**
   * Picks up a session an earlier invocation started; the server's status decides where. Returns
   * the drive's item when the session had already finished the file.
   */
  private async resume(continuation: UploadContinuation): Promise<DriveItem | undefined> {
    assertUploadUrl(continuation.uploadUrl, this.options.allowedUploadHosts);
    if (
      !Number.isSafeInteger(continuation.nextOffset) ||
      continuation.nextOffset < 0 ||
      continuation.nextOffset > this.total ||
      typeof continuation.hashState !== 'string'
    )
      throw new AppError('MessageInvalid', 'The continuation carries an impossible offset or no hash state.');
    this.uploadUrl = continuation.uploadUrl;
    this.expiresAt = continuation.sessionExpiresAt;
    try {
      this.hasher = this.options.hash.restore(continuation.hashState);
    } catch {
      throw new AppError('MessageInvalid', 'The continuation carries an unreadable hash state.');
    }
    this.committed = continuation.nextOffset;
    const next = await this.status();
    if (next === 'gone') {
      const finished = await this.finishedBeforeCrash();
      if (finished) return finished;
    }
    await this.realignFromStatus(undefined, undefined, next);
    return undefined;
  }

  /**
   * A session that is gone while at most one chunk was left may have been finished by the attempt
   * that crashed (the last chunk landed, the answer or the record of it did not). If the drive holds
   * exactly our bytes (the rest hashed from the source), the file is done without being sent again:
   * its item is returned, to be verified without reading it a second time.
   */
  private async finishedBeforeCrash(): Promise<DriveItem | undefined> {
    // Cheap first: without an item of exactly this size in the drive there is nothing to check.
    const existing = await itemIfAny(this.ctx, this.request);
    if (existing?.size !== this.total) return undefined;
    // The saved state can be more than a chunk behind the server (it is saved in the background, and
    // a short last chunk follows a full one quickly), so hash all that is left, a chunk at a time.
    // That costs a download of the rest; giving up here would upload the whole file again.
    // Nothing is left when the saved state is the finished one: the task died before recording it.
    const candidate = this.options.hash.restore(this.hasher.save());
    if (!(await this.hashFromSource(this.committed, this.total, candidate, false))) return undefined;
    if (!holds(existing, this.total, candidate.digest())) return undefined;
    this.options.log.info('upload.session.finished', { size: this.total });
    this.hasher = candidate;
    this.committed = this.total;
    return existing;
  }

  /** GET uploadUrl, then move `committed` and the hash to where the server is. 404: start over. */
  private async realignFromStatus(
    chunk?: Buffer,
    chunkOffset?: number,
    hint?: number | 'gone',
  ): Promise<void> {
    const next = hint ?? (await this.status());
    if (next === 'gone') {
      this.options.log.warn('upload.session.gone', { offset: this.committed });
      await this.newSession();
      return;
    }
    await this.moveTo(next, chunk, chunkOffset);
  }

  private async moveTo(next: number, chunk?: Buffer, chunkOffset?: number): Promise<void> {
    if (next === this.committed) return;
    if (next > this.committed) {
      if (chunk && chunkOffset === this.committed && next <= chunkOffset + chunk.length) {
        this.hasher.update(chunk.subarray(0, next - this.committed));
      } else {
        await this.hashFromSource(this.committed, next);
      }
    } else {
      this.options.log.warn('upload.rewind', { from: this.committed, to: next });
      this.hasher = this.options.hash.create();
      await this.hashFromSource(0, next);
    }
    this.committed = next;
  }

  /**
   * Hashes source bytes [from, to) into `into` (the session's hasher unless told). A short read means
   * the source changed: an error, or false when `strict` is off (the caller then decides).
   */
  private async hashFromSource(
    from: number,
    to: number,
    into: ContentHasher = this.hasher,
    strict = true,
  ): Promise<boolean> {
    this.prefetch.discard();
    // One pool buffer for the whole re-read: a rewind to byte 0 of a large file reads it all again.
    const scratch = from < to ? this.pool.acquire() : undefined;
    try {
      for (let offset = from; offset < to;) {
        const count = Math.min(this.options.chunkBytes, to - offset);
        const data = await this.request.read(offset, count, scratch);
        if (data.length !== count) {
          if (!strict) return false;
          throw new AppError('UpstreamError', 'The source changed during the upload.');
        }
        into.update(data);
        offset += count;
      }
      return true;
    } finally {
      if (scratch) this.pool.release(scratch);
    }
  }

  /** Where the server wants the next byte, or 'gone' when the session no longer exists. */
  private async status(): Promise<number | 'gone'> {
    for (let attempt = 1; ; attempt += 1) {
      const result: Exchange = await exchange(this.ctx, { method: 'GET', url: this.uploadUrl });
      if (result.kind === 'ok') {
        const session = readUploadSession(result.body);
        if (session.expirationDateTime) this.expiresAt = session.expirationDateTime;
        const next = firstExpectedByte(session.nextExpectedRanges, this.total);
        if (next === undefined)
          throw new AppError(
            'UpstreamError',
            'The upload session status has no readable nextExpectedRanges.',
          );
        return next;
      }
      if (result.kind === 'failed' && (result.status === 404 || result.status === 410)) return 'gone';
      if (result.kind === 'failed') throw graphFailureToError(result, 'Upload session status');
      // Without the session's status nothing can go on, so this wait may end past the deadline.
      const step = nextRetryStep(this.ctx.retry, this.ctx.clock, {
        attempt,
        retryAfterMs: retryAfterOf(result),
      });
      if (step.action === 'give-up') throw keptFailing('Upload session status', result);
      this.ctx.log.warn('upload.status.retry', { attempt, reason: describe(result) });
      this.ctx.stats.retries += 1;
      await this.ctx.clock.sleep(step.delayMs);
    }
  }

  private async newSession(): Promise<void> {
    if (this.ctx.stats.sessionsCreated >= MAX_SESSIONS)
      throw new AppError(
        'SessionExpired',
        `The upload session was lost ${MAX_SESSIONS} times in one invocation.`,
        {
          advice: 'The file will be retried on the next delivery or run.',
        },
      );
    this.ctx.stats.sessionsCreated += 1;
    const result = await graphCall(
      this.ctx,
      this.request.tokens,
      {
        method: 'POST',
        url: createSessionUrl(this.request.target),
        headers: { 'content-type': 'application/json' },
        // replace: a redelivered task overwrites its own earlier copy instead of adding `name (1).ext`.
        // The source's date rides in the session's item: OneDrive shows it, at no extra request.
        body: JSON.stringify({
          item: {
            '@microsoft.graph.conflictBehavior': 'replace',
            ...fileSystemInfo(this.request.lastModified),
          },
        }),
      },
      'Create upload session',
    );
    const session = readUploadSession(result.body);
    if (session.uploadUrl === undefined)
      throw new AppError('UpstreamError', 'Graph created an upload session without an uploadUrl.');
    this.uploadUrl = session.uploadUrl;
    this.expiresAt = session.expirationDateTime;
    this.hasher = this.options.hash.create();
    this.committed = 0;
    this.prefetch.discard();
    this.options.log.info('upload.session.created', {
      size: this.total,
      session: this.ctx.stats.sessionsCreated,
    });
    await this.reportProgress();
    // The first checkpoint of a session is written before its first chunk: later ones may lag (the
    // server is then ahead, and a resume hashes the gap from the source), but without this one a
    // crash leaves no row for the session, or only the one it replaced, and the next attempt starts
    // again from byte 0. It costs one sealed Table write per session; the first session of a
    // process also waits for the sealing key from Key Vault.
    await this.checkpoint?.flush();
  }

  private continuation(): UploadContinuation {
    return {
      uploadUrl: this.uploadUrl,
      nextOffset: this.committed,
      hashState: this.hasher.save(),
      sessionExpiresAt: this.expiresAt,
    };
  }

  private handOver(): UploadOutcome {
    this.options.log.info('upload.continuation', { committed: this.committed, size: this.total });
    return { status: 'continue', continuation: this.continuation(), stats: this.ctx.stats };
  }

  private async reportProgress(): Promise<void> {
    this.checkpoint?.save(this.continuation());
    await this.options.onProgress?.({
      committed: this.committed,
      total: this.total,
      continuation: this.continuation(),
    });
  }

  private async finishedElsewhere(candidate: ContentHasher): Promise<UploadOutcome | undefined> {
    const item = await heldAlready(this.ctx, this.request, candidate.digest());
    if (!item) return undefined;
    this.hasher = candidate;
    this.committed = this.total;
    return this.completed(item);
  }

  private async completed(item: DriveItem): Promise<UploadOutcome> {
    const verified = await verify(this.ctx, this.request, item, this.hasher.digest(), this.options);
    // Normally already set by the session's item; a session created without it is fixed here.
    await ensureFileDate(this.ctx, this.request.tokens, this.request.target, item, this.request.lastModified);
    return { status: 'completed', item: verified, stats: this.ctx.stats };
  }

  /** Best effort: free the server's partial file when the upload cannot go on. */
  private async abandon(): Promise<void> {
    if (!this.uploadUrl) return;
    await exchange(this.ctx, { method: 'DELETE', url: this.uploadUrl }).catch(() => undefined);
  }
}
