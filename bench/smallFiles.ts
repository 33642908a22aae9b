// (5) Storage transactions per small file: a container of small blobs backed up through the whole
// pipeline (real queues and tables, the Graph emulator), a first run and an unchanged rerun, with
// every Blob, Queue and Table request counted by a proxy in front of Azurite (./storageCount.ts).
import { randomBytes } from 'node:crypto';
import { BlobServiceClient } from '@azure/storage-blob';
import type { AzuriteInstance } from '../emulators/azurite';
import { benchPipeline, tableName } from './pipeline';
import { runThroughQueues, useRealQueues } from './realQueues';
import { startCountingProxy, type StorageCounts } from './storageCount';

export interface SmallFilesPass {
  label: string;
  files: number;
  uploadedFiles: number;
  seconds: number;
  /** This process's CPU (the worker: planner and uploader), seconds. */
  workerCpuSeconds: number;
  storage: StorageCounts;
  perFile: number;
}

export async function measureSmallFiles(options: {
  azurite: AzuriteInstance;
  graph: { apiBaseUrl: string };
  driveId: string;
  graphToken: string;
  files: number;
  fileBytes: number;
}): Promise<SmallFilesPass[]> {
  const proxy = await startCountingProxy(options.azurite);
  try {
    const container = BlobServiceClient.fromConnectionString(proxy.connectionString).getContainerClient(
      tableName('small').toLowerCase(),
    );
    await container.create();
    let next = 0;
    const seed = async (): Promise<void> => {
      while (next < options.files) {
        const i = next++;
        const body = randomBytes(options.fileBytes);
        await container.getBlockBlobClient(`s/f${String(i).padStart(5, '0')}.bin`).upload(body, body.length);
      }
    };
    await Promise.all(Array.from({ length: 32 }, seed));
    const pipeline = await benchPipeline({
      connectionString: proxy.connectionString,
      container: container.containerName,
      destination: async () => ({
        apiBaseUrl: options.graph.apiBaseUrl,
        driveId: options.driveId,
        rootFolder: '',
        driveType: 'business',
        allowedUploadHosts: ['127.0.0.1'],
        tokens: async () => options.graphToken,
      }),
    });
    const queues = await useRealQueues(pipeline, proxy.connectionString);
    const out: SmallFilesPass[] = [];
    for (const label of ['first run', 'unchanged rerun']) {
      proxy.take();
      const cpu = process.cpuUsage();
      const started = process.hrtime.bigint();
      const run = await runThroughQueues(pipeline, queues);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const used = process.cpuUsage(cpu);
      const storage = proxy.take();
      out.push({
        label,
        files: options.files,
        uploadedFiles: run.totals?.uploadedFiles ?? 0,
        seconds,
        workerCpuSeconds: (used.user + used.system) / 1e6,
        storage,
        perFile: storage.total / options.files,
      });
    }
    await container.delete();
    return out;
  } finally {
    await proxy.stop();
  }
}
