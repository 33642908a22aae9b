// The planner: one page of the source per message. It compares the page with the manifest (one
// range query; none when the page hashes as it did when all of it was last unchanged,
// ./pageDigest.ts) so an unchanged file costs no Graph request, queues upload tasks for the new or
// changed files (small ones in batches, ./uploadTasks.ts), records the
// page's totals (once, keyed by page number), and queues the next page, so a container of millions
// of blobs is planned in bounded steps. Only the page its run expects is listed (./planBinding.ts),
// and only files it marked planned are uploaded and counted (./uploader.ts).
import { QUEUES } from '../app/queues';
import { AppError, isAppError, isPermanent } from '../errors';
import type { Job } from '../store/jobs';
import { manifestMatches, type ManifestEntry } from '../store/manifest';
import { FINAL_RUN_STATUSES, type Run } from '../store/runs';
import type { Stored } from '../store/table';
import type { SourceItem, SourcePage } from '../sources/types';
import { countMissedByEvents } from '../events/missed';
import { refreshedFacts } from './factsRefresh';
import { checkCompletion } from './completion';
import type { BackupDeps } from './deps';
import { parsePlanMessage, type PlanMessage } from './messages';
import { bindPlanPage, planTokenHash } from './planBinding';
import { pageDigest } from './pageDigest';
import { outstandingBytes, quotaExceeded, readQuota } from './quota';
import { stopRun } from './stopRun';
import { queueUploadTasks } from './uploadTasks';

const DAY_MS = 86_400_000;

export async function handlePlanMessage(deps: BackupDeps, raw: unknown): Promise<void> {
  const message = parsePlanMessage(raw);
  const log = deps.log.child({ runId: message.runId, jobId: message.jobId, page: message.page });
  const [job, stored] = await Promise.all([
    deps.jobs.get(message.jobId),
    deps.runs.get(message.jobId, message.runId),
  ]);
  if (!job || !stored) return log.warn('plan.orphan', { reason: !job ? 'job deleted' : 'run missing' });
  if (FINAL_RUN_STATUSES.has(stored.value.status))
    return log.info('plan.run.finished', { status: stored.value.status });
  const binding = await bindPlanPage(deps.runs, stored.value, message);
  const started = deps.clock.now();
  const tokenHash = planTokenHash(message.continuationToken);
  // The run is marked running while its first page is listed, not before: nothing waits on the
  // mark, and the run row as it stands after it (value and ETag) is what the page's plan is
  // recorded against below, with no read in between.
  const marking = markRunning(deps, stored, started);
  let page;
  let decisions: Decisions;
  let digest: string | undefined;
  let unchanged = false;
  try {
    page = await listPage(deps, job, message);
    // A snapshot copies every file whatever the manifest says, so only a mirror has pages to skip.
    // A file past the maximum age may have had its entry removed since the digest was recorded
    // (retention at the end of a run): that page is compared with the manifest again.
    if (job.mode === 'mirror' && page.items.length && !anyPastMaxAge(job, page.items, deps.clock.now())) {
      digest = pageDigest(job, page.items);
      unchanged = (await deps.manifest.pageDigest(job.id, tokenHash)) === digest;
    }
    decisions = unchanged ? allUnchanged(page.items) : await decide(deps, job, page.items, stored.value);
    // Landed before anything below can end the run, so the mark never overwrites a final status.
    await marking;
    if (decisions.upload.length && !(await fits(deps, job, message.runId, message.page, decisions.upload)))
      return;
  } catch (error) {
    // A container that does not exist, refused access, a connection without a drive: no delivery
    // of this page can succeed, so the run ends now with the reason instead of in the poison queue.
    if (!isPermanent(error)) throw error;
    log.error('plan.failed', { code: error.code, reason: error.message });
    await marking;
    await stopRun(deps, job.id, message.runId, error);
    return;
  }
  const known = await marking;

  const tasks = await queueUploadTasks(deps, message.runId, job.id, decisions.upload);
  if (job.propagateDeletes && decisions.known.length)
    await deps.manifest.markSeen(job.id, decisions.known, message.runId);
  const refreshed = await refreshedFacts(deps, job.id, decisions.refresh);
  // Every file of the page is in the manifest as listed (facts refreshed just above included): the
  // next run may skip its queries. Not while an upload is pending (it may fail and leave the old
  // entry), nor with a file past the maximum age never copied (no entry to mark seen).
  if (
    digest !== undefined &&
    !unchanged &&
    !decisions.upload.length &&
    decisions.known.length === page.items.length
  )
    await deps.manifest.recordPageDigest(job.id, tokenHash, digest);
  const last = page.continuationToken === undefined;
  const pendingDigest =
    digest !== undefined && !unchanged && decisions.upload.length
      ? plannedDigest(digest, page.items, decisions)
      : undefined;
  const first = await deps.runs.createPage(message.runId, message.page, {
    files: decisions.upload.length,
    bytes: decisions.upload.reduce((sum, item) => sum + item.size, 0),
    skippedFiles: decisions.skipped.length,
    skippedBytes: decisions.skipped.reduce((sum, item) => sum + item.size, 0),
    missedByEvents: countMissedByEvents(
      job,
      decisions.upload,
      deps.clock.now(),
      deps.settings.eventsSettleSeconds,
    ),
    ...(refreshed ? { refreshedFiles: refreshed } : {}),
    last,
    tokenHash,
    ...(pendingDigest ? { pendingDigest } : {}),
  });
  // The first delivery's row stands; a different token for the same page is not this run's page.
  if (first && first.tokenHash !== tokenHash)
    throw new AppError(
      'MessageInvalid',
      `Plan message refused: page ${message.page} was listed from another position.`,
    );
  log.info('plan.page', {
    listed: page.items.length,
    upload: decisions.upload.length,
    tasks,
    skipped: decisions.skipped.length,
    unchangedPage: unchanged,
    redelivered: binding === 'recorded' || first !== undefined,
    ms: deps.clock.now() - started,
  });
  const advanced = await advancePlan(deps, known, message.page, last ? undefined : page.continuationToken);
  if (!last) {
    await deps.send(QUEUES.plan, {
      v: 1,
      runId: message.runId,
      jobId: job.id,
      page: message.page + 1,
      continuationToken: page.continuationToken,
    });
    return;
  }
  await checkCompletion(deps, job.id, message.runId, advanced);
}

/**
 * The message's page: listed ahead by the previous page's delivery in this process when it was
 * (./pagePrefetch.ts), or now. The page after it starts listing as soon as its token is known.
 */
async function listPage(deps: BackupDeps, job: Job, message: PlanMessage): Promise<SourcePage> {
  const pageSize = deps.settings.plannerPageSize;
  const list = (token: string | undefined) => () => deps.source(job).listPage(token, pageSize);
  const ref = {
    job,
    runId: message.runId,
    page: message.page,
    continuationToken: message.continuationToken,
    pageSize,
  };
  const prefetch = deps.pagePrefetch;
  if (!prefetch) return list(message.continuationToken)();
  const page = await prefetch.take(ref, list(message.continuationToken));
  if (page.continuationToken !== undefined)
    prefetch.start(
      { ...ref, page: message.page + 1, continuationToken: page.continuationToken },
      list(page.continuationToken),
    );
  return page;
}

/**
 * Marks a queued run running. Resolves with the run row as it stands afterwards (the mark applied,
 * its new ETag), or as it was read when the run was already running; a failed mark is not the
 * page's failure (the next write retries on a fresh read).
 */
async function markRunning(deps: BackupDeps, stored: Stored<Run>, now: number): Promise<Stored<Run>> {
  if (stored.value.status !== 'queued') return stored;
  const patch = { status: 'running' as const, startedAt: new Date(now).toISOString() };
  try {
    const etag = await deps.runs.update(stored.value.jobId, stored.value.id, patch);
    return { ...stored, value: { ...stored.value, ...patch }, etag };
  } catch {
    return stored;
  }
}

/**
 * Moves the run's binding past `page` (to the next page and its token, or to fully planned), once:
 * ETag-checked, so of two deliveries of a page one advances and the other finds it done. The first
 * try writes against the row the planner already holds (the run row rarely changes while a page is
 * listed); a conflict reads it again. Resolves with the row as written, for the completion check,
 * or undefined when another delivery had advanced it.
 */
async function advancePlan(
  deps: BackupDeps,
  held: Stored<Run>,
  page: number,
  nextToken: string | undefined,
): Promise<Stored<Run> | undefined> {
  const { jobId, id: runId } = held.value;
  let stored = held;
  for (let attempt = 0; attempt < 10; attempt += 1) {
    if (attempt > 0) stored = await deps.runs.require(jobId, runId);
    if (stored.value.planningComplete || stored.value.nextPage !== page) return undefined;
    const patch =
      nextToken === undefined
        ? { planningComplete: true, pagesPlanned: page + 1, nextPage: page + 1, nextPageTokenHash: '' }
        : { nextPage: page + 1, nextPageTokenHash: planTokenHash(nextToken) };
    try {
      const etag = await deps.runs.update(jobId, runId, patch, stored.etag);
      return { ...stored, value: { ...stored.value, ...patch }, etag };
    } catch (error) {
      if (!isAppError(error, 'Conflict')) throw error;
    }
  }
  throw new AppError('Transient', `Could not record the plan of run ${runId}: the run kept changing.`);
}

/**
 * Reads the drive's quota and records it on the run; false (the run stopped) when what the run
 * still has to upload, this page included, does not fit in what remains.
 */
async function fits(
  deps: BackupDeps,
  job: Job,
  runId: string,
  page: number,
  upload: SourceItem[],
): Promise<boolean> {
  const quota = await readQuota(deps, await deps.destination(job.connectionId), job.connectionId);
  if (!quota) return true;
  const pageBytes = upload.reduce((sum, item) => sum + item.size, 0);
  const neededBytes = pageBytes + (page > 0 ? await outstandingBytes(deps, runId) : 0);
  const recorded = { ...quota, neededBytes };
  if (quota.remaining !== undefined && neededBytes > quota.remaining) {
    await stopRun(deps, job.id, runId, quotaExceeded(neededBytes, quota.remaining), recorded);
    return false;
  }
  await deps.runs.update(job.id, runId, { quota: recorded });
  return true;
}

interface Decisions {
  upload: SourceItem[];
  skipped: SourceItem[];
  /** Names that have a manifest entry (to mark seen when deletions propagate). */
  known: string[];
  /** Unchanged files whose metadata, properties or tags changed alone (no new copy needed). */
  refresh: Array<{ item: SourceItem; entry: ManifestEntry }>;
}

/**
 * The page's digest, to record when its run succeeds (./plannedDigests.ts), when every file of
 * it is either to be uploaded by this run or unchanged in the manifest: once every upload has
 * landed, the manifest holds each file as listed, which is what a recorded digest promises. A file
 * past the maximum age never copied has no entry, so its page gets none.
 */
function plannedDigest(
  digest: string,
  items: readonly SourceItem[],
  decisions: Decisions,
): string | undefined {
  return decisions.upload.length + decisions.refresh.length === items.length ? digest : undefined;
}

/** The decision for a page whose digest matches the one recorded when all of it was unchanged. */
function allUnchanged(items: SourceItem[]): Decisions {
  return { upload: [], skipped: items, known: items.map((i) => i.name), refresh: [] };
}

async function decide(
  deps: BackupDeps,
  job: Job,
  items: SourceItem[],
  run: { id: string; createdAt: string },
): Promise<Decisions> {
  const out: Decisions = { upload: [], skipped: [], known: [], refresh: [] };
  // A snapshot is a full copy in its own folder: every file goes, whatever the manifest says.
  const entries: Map<string, ManifestEntry> =
    job.mode === 'mirror'
      ? await deps.manifest.getMany(
          job.id,
          items.map((i) => i.name),
        )
      : new Map();
  const maxAge = mirrorMaxAgeMs(job);
  for (const item of items) {
    const entry = entries.get(item.name);
    if (entry) out.known.push(item.name);
    // Past the mirror's maximum age: not copied (and removed from the drive at the end of the run).
    if (maxAge !== undefined && deps.clock.now() - item.lastModified.getTime() > maxAge)
      out.skipped.push(item);
    // A manifest entry written since this run began was uploaded BY this run: this is a redelivered
    // page whose first delivery died after fanning out. Those files are part of this run's plan
    // (their tasks are idempotent); counting them as skipped would shrink the plan, so the run
    // could complete while the rest of its tasks were still queued, and drop them.
    else if (manifestMatches(entry, item, job) && !uploadedByRun(entry, run)) {
      out.skipped.push(item);
      out.refresh.push({ item, entry: entry! });
    } else out.upload.push(item);
  }
  return out;
}

/** A mirror's maximum age in milliseconds, undefined when it has none. */
function mirrorMaxAgeMs(job: Job): number | undefined {
  return job.mode === 'mirror' && job.retention.mirrorMaxAgeDays
    ? job.retention.mirrorMaxAgeDays * DAY_MS
    : undefined;
}

function anyPastMaxAge(job: Job, items: readonly SourceItem[], now: number): boolean {
  const maxAge = mirrorMaxAgeMs(job);
  return maxAge !== undefined && items.some((item) => now - item.lastModified.getTime() > maxAge);
}

function uploadedByRun(entry: ManifestEntry | undefined, run: { id: string; createdAt: string }): boolean {
  // seenRunId alone is not enough (propagated deletions mark unchanged entries seen too); an upload
  // by this run also has its uploadedAt at or after the run's creation.
  return (
    entry !== undefined &&
    entry.seenRunId === run.id &&
    Date.parse(entry.uploadedAt) >= Date.parse(run.createdAt)
  );
}
