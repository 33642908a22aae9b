// (5) Storage transactions per small file: a container of small blobs backed up through the whole
// pipeline (real queues and tables, the Graph emulator), a first run and an unchanged rerun, with
// every Blob, Queue and Table request counted by a proxy in front of Azurite (./storageCount.ts).
//
// An unchanged rerun costs a fixed number of requests per run (claim and release the job, create,
// read and finish the run, the completion check) plus a number per listing page (the listing, the
// page's digest, the page's row, moving the plan binding, the next page's message). The first run
// succeeds, so it records its pages' digests (src/backup/plannedDigests.ts) and the rerun compares
// no page with the manifest. With the default pages of 5,000 a bench-sized container is one page,
// so the rerun runs again in pages of at most 1,000: first at page positions no run has recorded
// (each page compared with the manifest: its range query, the digest written), then again with
// those digests. The difference between that last rerun and the first is what a page adds, which
// splits the first rerun's count into its fixed and per-page parts; a page whose digest matches
// costs the same whatever its size. The rerun at new positions gives what comparing a page adds
// (after a run with a failure, no digest is recorded): a full page of 5,000 reads its manifest rows
// in 5 query pages of 1,000 instead of 1.
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

/** An unchanged rerun's requests split into what a run costs and what each listing page adds. */
export interface RerunCost {
  /** Requests of the rerun that listed the blobs in default pages of 5,000 (one page here). */
  total: number;
  pages: number;
  /** The rerun again in pages of `smallPageFiles` blobs, their digests recorded. */
  smallPageFiles: number;
  smallPages: number;
  smallPagesTotal: number;
  /** The same rerun at page positions with no digest recorded: every page compared with the manifest. */
  comparedTotal?: number;
  /** Requests one page adds when its digest matches. */
  perPage: number;
  /** Requests a run costs whatever its size. */
  fixed: number;
  /** Requests per unchanged file of a large container in pages of 5,000 whose digests match. */
  marginalPerFile: number;
  /** Requests one page of at most 1,000 blobs adds when it is compared with the manifest. */
  comparedPerPage?: number;
  /** Requests per unchanged file in pages of 5,000 compared with the manifest (5 query pages each). */
  comparedMarginalPerFile?: number;
}

/** Rows per page of a Table query: the service's limit, so a manifest range query of n rows is ceil(n/1000) requests. */
const TABLE_PAGE_ROWS = 1000;
const LIST_PAGE_FILES = 5000;

export function rerunCost(
  files: number,
  rerun: number,
  smallPageFiles: number,
  smallPagesTotal: number,
  comparedTotal?: number,
): RerunCost {
  const pages = Math.ceil(files / LIST_PAGE_FILES);
  const smallPages = Math.ceil(files / smallPageFiles);
  const perPage = smallPages > pages ? (smallPagesTotal - rerun) / (smallPages - pages) : Number.NaN;
  const comparedPerPage =
    comparedTotal === undefined ? undefined : perPage + (comparedTotal - smallPagesTotal) / smallPages;
  return {
    total: rerun,
    pages,
    smallPageFiles,
    smallPages,
    smallPagesTotal,
    perPage,
    fixed: rerun - pages * perPage,
    marginalPerFile: perPage / LIST_PAGE_FILES,
    ...(comparedPerPage !== undefined && {
      comparedTotal,
      comparedPerPage,
      // A page of ≤ 1,000 blobs reads its manifest rows in one query page; a full page in five.
      comparedMarginalPerFile: (comparedPerPage + (LIST_PAGE_FILES / TABLE_PAGE_ROWS - 1)) / LIST_PAGE_FILES,
    }),
  };
}

export async function measureSmallFiles(options: {
  azurite: AzuriteInstance;
  graph: { apiBaseUrl: string };
  driveId: string;
  graphToken: string;
  files: number;
  fileBytes: number;
}): Promise<{ passes: SmallFilesPass[]; rerun: RerunCost }> {
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
    const smallPageFiles = Math.max(1, Math.min(TABLE_PAGE_ROWS, Math.ceil(options.files / 4)));
    const labels = [
      'first run',
      'unchanged rerun',
      `unchanged rerun, pages of ${smallPageFiles}, compared with the manifest`,
      `unchanged rerun, pages of ${smallPageFiles}`,
    ];
    for (const label of labels) {
      if (label.includes('pages of')) pipeline.deps.settings.plannerPageSize = smallPageFiles;
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
    return {
      passes: out,
      rerun: rerunCost(
        options.files,
        out[1].storage.total,
        smallPageFiles,
        out[3].storage.total,
        out[2].storage.total,
      ),
    };
  } finally {
    await proxy.stop();
  }
}
