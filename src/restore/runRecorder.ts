// RunRecorder over the shared run store (src/store/runs.ts): restore runs are runs of kind
// 'restore' with the same statuses, counters and per-file rows as backups, so GET api/runs/{id}
// shows them unchanged. The run store's words are the backup's: a restored file is recorded as
// 'uploaded' (it arrived at its destination); a file left alone (the blob was already identical, or
// existed under skip-existing) as 'skipped', with the reason, and counted in skippedFiles.
import { isAppError } from '../errors';
import type { RunStore, RunTotals } from '../store/runs';
import { FINAL_RUN_STATUSES, finalStatus } from '../store/runStatus';
import type { RunRecorder } from './deps';
import { pageIndexOf } from './listing/ledger';
import type { RestoreSpec } from './messages';
import { parseRecordedSpec } from './trustedSpec';

/** Runs whose spec is remembered: enough for the restores one worker instance serves at a time. */
const SPEC_CACHE_SIZE = 64;

/** Files with a final result. A restore's listings plan no skips, so every skip is a file's own. */
const finished = (t: { uploadedFiles: number; skippedFiles: number; failedFiles: number }): number =>
  t.uploadedFiles + t.skippedFiles + t.failedFiles;

/**
 * The run index's report for a run about to end (./index/report.ts), and whether the index promised
 * files the drive no longer had: such a run is partially failed, however its files went.
 */
export type RunReporter = (runId: string) => Promise<{ report: unknown; incomplete: boolean } | undefined>;

export function runStoreRecorder(
  runs: RunStore,
  now: () => Date = () => new Date(),
  reporter?: RunReporter,
): RunRecorder {
  const ignoreConflict = (error: unknown): void => {
    if (!isAppError(error, 'Conflict')) throw error;
  };
  // Every message of a run reads its spec; the spec never changes after create, so one read per
  // run and instance is enough. Only found specs are kept (a run may be created after a miss).
  const specs = new Map<string, RestoreSpec>();
  return {
    async create({ partition, runId, createdAt, spec }) {
      await runs.create({
        id: runId,
        jobId: partition,
        kind: 'restore',
        trigger: 'manual',
        status: 'queued',
        createdAt,
        planningComplete: false,
        pagesPlanned: 0,
        restoreSpec: JSON.stringify(spec),
      });
    },
    async restoreSpec(partition, runId) {
      const key = `${partition}\u0000${runId}`;
      const cached = specs.get(key);
      if (cached) return cached;
      const stored = await runs.get(partition, runId);
      if (stored?.value.kind !== 'restore') return undefined;
      const spec = parseRecordedSpec(stored.value.restoreSpec);
      if (!spec) return undefined;
      if (specs.size >= SPEC_CACHE_SIZE) specs.delete(specs.keys().next().value as string);
      specs.set(key, spec);
      return spec;
    },
    async markRunning(partition, runId) {
      const stored = await runs.require(partition, runId);
      if (stored.value.status !== 'queued') return;
      await runs
        .update(partition, runId, { status: 'running', startedAt: now().toISOString() }, stored.etag)
        .catch(ignoreConflict);
    },
    async recordListing(runId, listingKey, plan) {
      await runs.recordPage(runId, pageIndexOf(listingKey), {
        ...plan,
        skippedFiles: 0,
        skippedBytes: 0,
        last: false,
      });
    },
    async markListingComplete(partition, runId) {
      await runs.update(partition, runId, { planningComplete: true });
    },
    async fileProgress(runId, blobName, size, bytesDone) {
      await runs.recordFileProgress(runId, blobName, size, bytesDone, 1);
    },
    async finishFile(runId, blobName, outcome) {
      return runs.finishFile(runId, {
        blobName,
        status: outcome.status === 'restored' ? 'uploaded' : outcome.status,
        size: outcome.size,
        bytesDone: outcome.status === 'restored' ? outcome.size : 0,
        code: outcome.status === 'failed' ? outcome.code : undefined,
        reason: outcome.status === 'restored' ? outcome.note : outcome.reason,
        rewritten: outcome.status === 'restored' && outcome.rewritten ? true : undefined,
        attempts: 1,
        driveItemId: outcome.driveItemId,
      });
    },
    async checkCompletion(partition, runId) {
      const stored = await runs.get(partition, runId);
      if (!stored || FINAL_RUN_STATUSES.has(stored.value.status) || !stored.value.planningComplete)
        return undefined;
      const live = await runs.totals(runId);
      if (finished(live.totals) < live.totals.plannedFiles) return undefined;
      // The shards say done; the file rows say exactly what happened.
      const { inFlight: _inFlight, ...exact } = await runs.countFileOutcomes(runId);
      const totals: RunTotals = { ...live.totals, ...exact };
      if (finished(exact) < totals.plannedFiles) return undefined;
      const reported = reporter ? await reporter(runId) : undefined;
      let status = finalStatus(totals);
      if (reported?.incomplete && status === 'succeeded') status = 'partially-failed';
      const endedAt = now();
      const seconds = Math.max(
        0.001,
        (endedAt.getTime() - Date.parse(stored.value.startedAt ?? stored.value.createdAt)) / 1000,
      );
      try {
        await runs.update(
          partition,
          runId,
          {
            status,
            endedAt: endedAt.toISOString(),
            totals,
            pagesPlanned: live.pages,
            throughputBytesPerSecond: Math.round(totals.uploadedBytes / seconds),
            restoreReport: reported ? JSON.stringify(reported.report) : undefined,
          },
          stored.etag,
        );
        return status;
      } catch (error) {
        ignoreConflict(error); // another worker finished it
        return undefined;
      }
    },
    async failRun(partition, runId, error, details) {
      await runs.update(partition, runId, {
        status: 'failed',
        error,
        errorCode: details?.errorCode,
        advice: details?.advice,
        endedAt: now().toISOString(),
      });
    },
  };
}
