// (3) Planning rate: a container of many blobs planned through the real planner, 5,000 blobs per
// page (the service's listing limit), each compared with the manifest by point read (a first run:
// none are known, so every one becomes an upload task). Upload tasks are counted and dropped, not
// run: this measures planning only.
import { BlobServiceClient } from '@azure/storage-blob';
import { QUEUES } from '../src/app/queues';
import { handlePlanMessage } from '../src/backup/planner';
import { startRun } from '../src/backup/scheduler';
import { benchPipeline, tableName } from './pipeline';
import { seedManyBlobs } from './seed';

export interface PlanningResult {
  target: number;
  blobs: number;
  seedSeconds: number;
  seedCapped: boolean;
  pages: number;
  uploadTasks: number;
  seconds: number;
  blobsPerSecond: number;
}

export async function measurePlanning(options: {
  connectionString: string;
  /** The Graph emulator: the planner reads the drive's quota once per page. */
  graph: { apiBaseUrl: string };
  driveId: string;
  graphToken: string;
  target: number;
  seedConcurrency: number;
  seedBudgetMs: number;
}): Promise<PlanningResult> {
  const container = BlobServiceClient.fromConnectionString(options.connectionString).getContainerClient(
    tableName('plan').toLowerCase(),
  );
  await container.create();
  const seedStart = Date.now();
  const blobs = await seedManyBlobs(
    container,
    options.target,
    options.seedConcurrency,
    seedStart + options.seedBudgetMs,
  );
  const seedSeconds = (Date.now() - seedStart) / 1000;

  const pipeline = await benchPipeline({
    connectionString: options.connectionString,
    container: container.containerName,
    plannerPageSize: 5000,
    // Planning sends one Graph request per page (the drive's quota, read before the page's uploads
    // are queued), and nothing per blob.
    destination: async () => ({
      apiBaseUrl: options.graph.apiBaseUrl,
      driveId: options.driveId,
      rootFolder: '',
      driveType: 'business',
      allowedUploadHosts: ['127.0.0.1'],
      tokens: async () => options.graphToken,
    }),
  });
  let pages = 0;
  let uploadTasks = 0;
  const started = process.hrtime.bigint();
  await startRun(pipeline.deps, pipeline.job.id, 'manual');
  while (pipeline.queue.length) {
    const { queue, message } = pipeline.queue.shift()!;
    if (queue !== QUEUES.plan) {
      uploadTasks += 1;
      continue;
    }
    pages += 1;
    await handlePlanMessage(pipeline.deps, message);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    target: options.target,
    blobs,
    seedSeconds,
    seedCapped: blobs < options.target,
    pages,
    uploadTasks,
    seconds,
    blobsPerSecond: blobs / seconds,
  };
}
