// RunRecorder over the shared run store (src/store/runs.ts): restore runs are runs of kind
// 'restore' with the same statuses, counters and per-file rows as backups, so GET api/runs/{id}
// shows them unchanged. The run store's words are the backup's: a restored file is recorded as
// 'uploaded' (it arrived at its destination), a skipped one too, with code `skipped-identical` or
// `skipped-exists` (the store has no skipped file state; see the report).
import { isAppError } from '../errors';
import { FINAL_RUN_STATUSES, type RunStatus, type RunStore, type RunTotals } from '../store/runs';
import type { RunRecorder } from './deps';
import { pageIndexOf } from './listing/ledger';

function finalStatus(totals: RunTotals): RunStatus {
  if (totals.failedFiles === 0) return 'succeeded';
  return totals.uploadedFiles > 0 ? 'partially-failed' : 'failed';
}

export function runStoreRecorder(runs: RunStore, now: () => Date = () => new Date()): RunRecorder {
  const ignoreConflict = (error: unknown): void => {
    if (!isAppError(error, 'Conflict')) throw error;
  };
  return {
    async create({ partition, runId, createdAt }) {
      await runs.create({
        id: runId,
        jobId: partition,
        kind: 'restore',
        trigger: 'manual',
        status: 'queued',
        createdAt,
        planningComplete: false,
        pagesPlanned: 0,
      });
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
      const failed = outcome.status === 'failed';
      return runs.finishFile(runId, {
        blobName,
        status: failed ? 'failed' : 'uploaded',
        size: outcome.size,
        bytesDone: failed ? 0 : outcome.size,
        code:
          outcome.status === 'failed'
            ? outcome.code
            : outcome.status === 'skipped'
              ? `skipped-${outcome.reason}`
              : undefined,
        reason: outcome.status === 'restored' ? undefined : outcome.reason,
        attempts: 1,
        driveItemId: outcome.driveItemId,
      });
    },
    async checkCompletion(partition, runId) {
      const stored = await runs.get(partition, runId);
      if (!stored || FINAL_RUN_STATUSES.has(stored.value.status) || !stored.value.planningComplete)
        return undefined;
      const live = await runs.totals(runId);
      if (live.totals.uploadedFiles + live.totals.failedFiles < live.totals.plannedFiles) return undefined;
      // The shards say done; the file rows say exactly what happened.
      const exact = await runs.countFiles(runId);
      const totals: RunTotals = { ...live.totals, ...exact };
      if (exact.uploadedFiles + exact.failedFiles < totals.plannedFiles) return undefined;
      const status = finalStatus(totals);
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
          },
          stored.etag,
        );
        return status;
      } catch (error) {
        ignoreConflict(error); // another worker finished it
        return undefined;
      }
    },
    async failRun(partition, runId, error) {
      await runs.update(partition, runId, { status: 'failed', error, endedAt: now().toISOString() });
    },
  };
}
