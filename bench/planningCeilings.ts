// What the planner's storage calls cost on their own, each measured alone against a fresh in-memory
// Azurite: seeding (parallel PUTs), listing 5,000 blobs per page with the fields the planner asks
// for, one manifest range query of 1,000 rows in partitions of different sizes, and a 100-row
// Table batch. These bound what planning can reach on this machine whatever the planner does.
// Run: node --import tsx bench/planningCeilings.ts (CEIL_BLOBS, CEIL_ROWS, CEIL_OTHER_ROWS size it).
import { TableClient, type TransactionAction } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { startAzurite } from '../emulators/azurite';
import { createBlobSource } from '../src/sources/blobSource';
import { cpuSecondsOf } from './planning';
import { seedManyBlobs } from './seed';

async function measured<T>(
  pid: number,
  work: () => Promise<T>,
): Promise<{ value: T; seconds: number; worker: number; azurite: number }> {
  const cpu = process.cpuUsage();
  const before = cpuSecondsOf(pid) ?? 0;
  const started = process.hrtime.bigint();
  const value = await work();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  return {
    value,
    seconds,
    worker: (used.user + used.system) / 1e6,
    azurite: (cpuSecondsOf(pid) ?? 0) - before,
  };
}

const key = (i: number): string =>
  `d${String(Math.floor(i / 1000)).padStart(3, '0')}%2Ff${String(i).padStart(6, '0')}.txt`;

async function main(): Promise<void> {
  const blobs = Number(process.env.CEIL_BLOBS ?? 5_000);
  const azurite = await startAzurite();
  const out: Record<string, unknown> = {};
  try {
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
      'ceil',
    );
    await container.create();
    const seed = await measured(azurite.pid, () =>
      seedManyBlobs(container, blobs, Number(process.env.CEIL_SEED_CONCURRENCY ?? 64), Date.now() + 600_000),
    );
    out.seed = { blobs: seed.value, perSecond: seed.value / seed.seconds, ...seed };
    console.log('seed', JSON.stringify(out.seed));

    const source = createBlobSource({ connectionString: azurite.connectionString, container: 'ceil' });
    const list = await measured(azurite.pid, async () => {
      let token: string | undefined;
      let n = 0;
      do {
        const page = await source.listPage(token, 5000);
        n += page.items.length;
        token = page.continuationToken;
      } while (token);
      return n;
    });
    out.list = {
      blobs: list.value,
      perSecond: list.value / list.seconds,
      workerMsPerBlob: (list.worker * 1000) / list.value,
      azuriteMsPerBlob: (list.azurite * 1000) / list.value,
      ...list,
    };
    console.log('list', JSON.stringify(out.list));

    // Table: one partition of `rows` rows (a job's manifest) filled in 100-row batches, a
    // 1,000-row range query in it, then the same query once the table holds `others` more rows
    // in other partitions (other jobs; 100 rows each, so filling them is cheap).
    const filler = 'x'.repeat(300);
    const rows = Number(process.env.CEIL_ROWS ?? 10_000);
    const others = Number(process.env.CEIL_OTHER_ROWS ?? 90_000);
    const table = TableClient.fromConnectionString(azurite.connectionString, 'ceil', {
      allowInsecureConnection: true,
    });
    await table.createTable();
    const fill = async (partition: (i: number) => string, from: number, to: number): Promise<number[]> => {
      const times: number[] = [];
      for (let i = from; i < to; i += 100) {
        const actions: TransactionAction[] = [];
        for (let j = i; j < Math.min(to, i + 100); j += 1)
          actions.push([
            'upsert',
            { partitionKey: partition(j), rowKey: key(j), filler, size: j },
            'Replace',
          ]);
        const t = process.hrtime.bigint();
        await table.submitTransaction(actions);
        times.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
      return times;
    };
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const rangeQuery = async (label: string): Promise<void> => {
      const low = key(Math.floor(rows / 2));
      const high = key(Math.floor(rows / 2) + 999);
      const times: number[] = [];
      const q = await measured(azurite.pid, async () => {
        for (let r = 0; r < 5; r += 1) {
          const t = process.hrtime.bigint();
          let n = 0;
          const filter = `PartitionKey eq 'job' and RowKey ge '${low}' and RowKey le '${high}'`;
          for await (const _ of table.listEntities({ queryOptions: { filter } })) n += 1;
          if (n !== 1000) throw new Error(`range query returned ${n}`);
          times.push(Number(process.hrtime.bigint() - t) / 1e6);
        }
      });
      out[label] = {
        msMedian: median(times),
        azuriteMsEach: (q.azurite * 1000) / 5,
        workerMsEach: (q.worker * 1000) / 5,
      };
      console.log(label, JSON.stringify(out[label]));
    };
    const batches: number[] = [];
    const jobFill = await measured(azurite.pid, async () => {
      for (let done = 0; done < rows; done += rows / 4) {
        batches.push(...(await fill(() => 'job', done, done + rows / 4)));
        const last = batches.slice(-10);
        console.log(`partition at ${done + rows / 4} rows: 100-row batch ${median(last).toFixed(0)} ms`);
        out[`batch100MsAt${done + rows / 4}`] = median(last);
      }
    });
    out.jobFill = { seconds: jobFill.seconds, azuriteMsPerRow: (jobFill.azurite * 1000) / rows };
    await rangeQuery(`range1000In${rows}RowTable`);
    const otherFill = await measured(azurite.pid, () =>
      fill((i) => `other${Math.floor(i / 100)}`, rows, rows + others),
    );
    out.otherFill = { seconds: otherFill.seconds, azuriteMsPerRow: (otherFill.azurite * 1000) / others };
    await rangeQuery(`range1000In${rows + others}RowTable`);
    const pointTimes: number[] = [];
    for (let r = 0; r < 20; r += 1) {
      const t = process.hrtime.bigint();
      await table.getEntity('job', key(r * 7));
      pointTimes.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    out.pointReadInJobPartitionMs = median(pointTimes);
  } finally {
    await azurite.stop();
  }
  console.log(JSON.stringify(out, null, 2));
}

void main();
