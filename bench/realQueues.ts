// The backup pipeline over real Azurite queues: every task the handlers send goes to a storage
// queue (base64, as the Functions host expects), and a drain receives, dispatches to the real
// handler and deletes, until both queues are empty. What the Functions host adds on top (leases,
// poison moves) is not what is measured, so a failed message stops the bench instead.
import { QueueServiceClient, type QueueClient } from '@azure/storage-queue';
import { decodeQueueMessage, encodeQueueMessage, QUEUES } from '../src/app/queues';
import { handlePlanMessage } from '../src/backup/planner';
import { startRun } from '../src/backup/scheduler';
import { handleUploadMessage } from '../src/backup/uploader';
import type { Run } from '../src/store/runs';
import { tableName, type BenchPipeline } from './pipeline';

export interface RealQueues {
  plan: QueueClient;
  upload: QueueClient;
  /** Messages handled so far, per queue. */
  handled: { plan: number; upload: number };
}

/** Points the pipeline's sends at two fresh queues of this storage account. */
export async function useRealQueues(p: BenchPipeline, connectionString: string): Promise<RealQueues> {
  const service = QueueServiceClient.fromConnectionString(connectionString);
  const plan = service.getQueueClient(tableName('plan').toLowerCase());
  const upload = service.getQueueClient(tableName('upload').toLowerCase());
  await Promise.all([plan.create(), upload.create()]);
  p.deps.send = async (queue, message, options) => {
    const client = queue === QUEUES.plan ? plan : upload;
    await client.sendMessage(encodeQueueMessage(message), {
      visibilityTimeout: options?.visibilityTimeoutSeconds,
    });
  };
  return { plan, upload, handled: { plan: 0, upload: 0 } };
}

/** Receives up to 32 messages at a time and runs them `concurrency` at once until the queue is empty. */
async function drainOnce(
  queue: QueueClient,
  handle: (message: unknown, dequeueCount: number) => Promise<void>,
  concurrency: number,
): Promise<number> {
  const { receivedMessageItems: items } = await queue.receiveMessages({
    numberOfMessages: 32,
    visibilityTimeout: 300,
  });
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++];
      await handle(decodeQueueMessage(item.messageText), item.dequeueCount);
      await queue.deleteMessage(item.messageId, item.popReceipt);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return items.length;
}

/** Runs the planner's pages, in order, until the plan queue is empty (upload tasks stay queued). */
export async function drainPlanQueue(p: BenchPipeline, q: RealQueues): Promise<void> {
  for (;;) {
    const handled = await drainOnce(q.plan, (m) => handlePlanMessage(p.deps, m), 1);
    q.handled.plan += handled;
    if (handled === 0) return;
  }
}

/** Drains both queues to empty; the planner's pages in order, upload tasks `uploadConcurrency` at once. */
export async function drain(p: BenchPipeline, q: RealQueues, uploadConcurrency = 4): Promise<void> {
  for (;;) {
    const planned = await drainOnce(q.plan, (m) => handlePlanMessage(p.deps, m), 1);
    q.handled.plan += planned;
    const uploaded = await drainOnce(
      q.upload,
      (m, dequeueCount) => handleUploadMessage(p.deps, m, { dequeueCount }),
      uploadConcurrency,
    );
    q.handled.upload += uploaded;
    if (planned === 0 && uploaded === 0) return;
  }
}

/** One run to its end through the real queues. */
export async function runThroughQueues(p: BenchPipeline, q: RealQueues, uploadConcurrency = 4): Promise<Run> {
  const started = await startRun(p.deps, p.job.id, 'manual');
  await drain(p, q, uploadConcurrency);
  const run = (await p.deps.runs.get(p.job.id, started.id))!.value;
  if (run.status !== 'succeeded') throw new Error(`Bench run ended ${run.status}: ${run.error ?? ''}`);
  return run;
}
