// The backup pipeline as the benchmarks drive it: the real handlers (scheduler → planner → uploader →
// completion) over Azurite tables and blobs, with an in-memory queue drained in order, the way the
// integration tests drive it. Only the queue transport is left out: it is not what is measured.
import { randomBytes } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { QUEUES } from '../src/app/queues';
import type { BackupDeps, DriveDestination } from '../src/backup/deps';
import { handlePlanMessage } from '../src/backup/planner';
import { startRun } from '../src/backup/scheduler';
import { handleUploadMessage } from '../src/backup/uploader';
import { systemClock } from '../src/runtime/clock';
import { PagePrefetch } from '../src/backup/pagePrefetch';
import { createLogger } from '../src/log/logger';
import { createBlobSource } from '../src/sources/blobSource';
import { JobStore, validateJob, type Job } from '../src/store/jobs';
import { ManifestStore } from '../src/store/manifest';
import { RunStore, type Run } from '../src/store/runs';

export const MiB = 1024 * 1024;

export function tableName(prefix: string): string {
  return `${prefix}${randomBytes(5).toString('hex')}`;
}

export interface BenchPipeline {
  deps: BackupDeps;
  queue: Array<{ queue: string; message: unknown }>;
  job: Job;
}

export async function benchPipeline(options: {
  connectionString: string;
  container: string;
  destination: () => Promise<DriveDestination>;
  job?: Record<string, unknown>;
  plannerPageSize?: number;
}): Promise<BenchPipeline> {
  const table = (prefix: string): TableClient =>
    TableClient.fromConnectionString(options.connectionString, tableName(prefix), {
      allowInsecureConnection: true,
    });
  const queue: BenchPipeline['queue'] = [];
  const deps: BackupDeps = {
    jobs: new JobStore(table('jobs')),
    runs: new RunStore({ runs: table('runs'), progress: table('prog'), files: table('files') }),
    manifest: new ManifestStore(table('manifest')),
    source: (job) =>
      createBlobSource({
        connectionString: options.connectionString,
        container: job.source.container,
        prefix: job.source.prefix,
      }),
    destination: options.destination,
    send: async (q, message) => void queue.push({ queue: q, message }),
    settings: {
      simpleUploadMaxBytes: 4 * MiB,
      invocationBudgetSeconds: 3600,
      plannerPageSize: options.plannerPageSize ?? 5000,
      runTimeoutMinutes: 60,
      sendConcurrency: 16,
    },
    clock: systemClock,
    log: createLogger({ bench: true }),
    // As the composition root gives it (src/backup/wiring.ts); BENCH_NO_PREFETCH=1 measures without.
    ...(process.env.BENCH_NO_PREFETCH ? {} : { pagePrefetch: new PagePrefetch(systemClock) }),
  };
  const job = validateJob(
    {
      name: 'bench',
      connectionId: 'bench-connection',
      source: { container: options.container },
      destinationFolder: `Bench/${options.container}`,
      schedule: '0 0 2 * * *',
      ...options.job,
    },
    undefined,
    tableName('job'),
    new Date(),
  );
  await deps.jobs.create(job);
  return { deps, queue, job };
}

/** One run to its end: every planner page and upload task handled in queue order. */
export async function runOnce(p: BenchPipeline): Promise<Run> {
  const started = await startRun(p.deps, p.job.id, 'manual');
  while (p.queue.length) {
    const { queue, message } = p.queue.shift()!;
    if (queue === QUEUES.plan) await handlePlanMessage(p.deps, message);
    else await handleUploadMessage(p.deps, message);
  }
  const run = (await p.deps.runs.get(p.job.id, started.id))!.value;
  if (run.status !== 'succeeded') throw new Error(`Bench run ended ${run.status}: ${run.error ?? ''}`);
  return run;
}

/** The drive id behind a Graph test token. */
export async function driveIdOf(apiBaseUrl: string, token: string): Promise<string> {
  const response = await fetch(`${apiBaseUrl}/me/drive`, { headers: { authorization: `Bearer ${token}` } });
  return ((await response.json()) as { id: string }).id;
}
