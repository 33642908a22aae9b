// The planner: one page of the source per message. It compares each blob with the manifest so an
// unchanged file costs no Graph request, queues one upload task per new or changed file, records the
// page's totals (idempotently, keyed by page number), and queues the next page, so a container of
// millions of blobs is planned in bounded steps.
import { QUEUES } from '../app/queues';
import type { Job } from '../store/jobs';
import { manifestMatches, type ManifestEntry } from '../store/manifest';
import { FINAL_RUN_STATUSES } from '../store/runs';
import type { SourceItem } from '../sources/types';
import { refreshedFacts } from './factsRefresh';
import { checkCompletion } from './completion';
import type { BackupDeps } from './deps';
import { parsePlanMessage, type UploadMessage } from './messages';

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
  if (stored.value.status === 'queued') {
    await deps.runs
      .update(job.id, message.runId, {
        status: 'running',
        startedAt: new Date(deps.clock.now()).toISOString(),
      })
      .catch(() => undefined);
  }

  const started = deps.clock.now();
  const page = await deps.source(job).listPage(message.continuationToken, deps.settings.plannerPageSize);
  const decisions = await decide(deps, job, page.items, stored.value);

  await fanOut(
    deps,
    decisions.upload.map((item) => uploadTask(message.runId, job.id, item)),
  );
  if (job.propagateDeletes && decisions.known.length)
    await deps.manifest.markSeen(job.id, decisions.known, message.runId);
  await refreshedFacts(deps, job.id, decisions.refresh);
  const last = page.continuationToken === undefined;
  await deps.runs.recordPage(message.runId, message.page, {
    files: decisions.upload.length,
    bytes: decisions.upload.reduce((sum, item) => sum + item.size, 0),
    skippedFiles: decisions.skipped.length,
    skippedBytes: decisions.skipped.reduce((sum, item) => sum + item.size, 0),
    last,
  });
  log.info('plan.page', {
    listed: page.items.length,
    upload: decisions.upload.length,
    skipped: decisions.skipped.length,
    ms: deps.clock.now() - started,
  });
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
  await deps.runs.update(job.id, message.runId, { planningComplete: true, pagesPlanned: message.page + 1 });
  await checkCompletion(deps, job.id, message.runId);
}

interface Decisions {
  upload: SourceItem[];
  skipped: SourceItem[];
  /** Names that have a manifest entry (to mark seen when deletions propagate). */
  known: string[];
  /** Unchanged files whose metadata, properties or tags changed alone (no new copy needed). */
  refresh: Array<{ item: SourceItem; entry: ManifestEntry }>;
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
  const maxAge =
    job.mode === 'mirror' && job.retention.mirrorMaxAgeDays
      ? job.retention.mirrorMaxAgeDays * DAY_MS
      : undefined;
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
    else if (manifestMatches(entry, item) && !uploadedByRun(entry, run)) {
      out.skipped.push(item);
      out.refresh.push({ item, entry: entry! });
    } else out.upload.push(item);
  }
  return out;
}

function uploadTask(runId: string, jobId: string, item: SourceItem): UploadMessage {
  return {
    v: 1,
    runId,
    jobId,
    blobName: item.name,
    etag: item.etag,
    size: item.size,
    lastModified: item.lastModified.toISOString(),
    contentMd5: item.contentMd5,
  };
}

async function fanOut(deps: BackupDeps, messages: UploadMessage[]): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < messages.length) await deps.send(QUEUES.upload, messages[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(deps.settings.sendConcurrency, messages.length) }, worker));
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
