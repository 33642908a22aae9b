// At the end of a backup run that succeeded: the digests its planner kept for the pages whose files
// it all sent (or found unchanged) become the job's page digests (./pageDigest.ts). Every planned
// file was copied, and the uploader records each in the manifest as the planner listed it, so the
// next run that lists such a page the same way needs no manifest query for it, as though the
// second run had already queried and found it unchanged. A run with a failed file records none:
// the failure may have left an old entry, and the next run must compare that page again.
import type { Run } from '../store/runs';
import type { BackupDeps } from './deps';

export async function recordPlannedDigests(
  deps: Pick<BackupDeps, 'runs' | 'manifest' | 'log'>,
  run: Run,
): Promise<void> {
  try {
    const pending = await deps.runs.pendingDigests(run.id);
    await deps.manifest.recordPageDigests(
      run.jobId,
      pending.map(({ tokenHash, digest }) => ({ position: tokenHash, digest })),
    );
  } catch (error) {
    // Only a saving lost: the next run queries the manifest for these pages, as it would have.
    deps.log.warn('run.digests.failed', { runId: run.id, jobId: run.jobId, error });
  }
}
