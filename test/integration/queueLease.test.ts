// The local host's queue lease, against Azurite: a message stays invisible while its handler runs
// (renewed, as the Functions host renews its 10-minute lease), and after a crash it comes back when
// the lease ends, seconds later rather than minutes.
import { QueueClient } from '@azure/storage-queue';
import { encodeQueueMessage } from '../../src/app/queues';
import type { FunctionDefinition } from '../../src/app/types';
import { createLogger, setLogSink, type LogSink } from '../../src/log/logger';
import { LOCAL_LEASE_SECONDS, QueuePoller } from '../../src/local/queuePoller';
import { azuriteConnectionString, uniqueName } from '../helpers/azurite';

let previousSink: LogSink;
beforeAll(() => (previousSink = setLogSink(() => undefined)));
afterAll(() => setLogSink(previousSink));

const LEASE_SECONDS = 2;
const semantics = {
  batchSize: 1,
  newBatchThreshold: 0,
  maxDequeueCount: 5,
  retryDelayMs: 0,
  maxPollingIntervalMs: 200,
};

async function newQueue(): Promise<{ queue: QueueClient; poison: QueueClient }> {
  const name = uniqueName('lease');
  const queue = new QueueClient(azuriteConnectionString(), name);
  const poison = new QueueClient(azuriteConnectionString(), `${name}-poison`);
  await Promise.all([queue.create(), poison.create()]);
  return { queue, poison };
}

function poller(
  queues: { queue: QueueClient; poison: QueueClient },
  handler: (meta: { dequeueCount: number }) => Promise<void>,
  stopGraceMs = 5000,
): QueuePoller {
  const definition: FunctionDefinition = {
    name: 'leased',
    trigger: {
      type: 'queue',
      queueName: queues.queue.name,
      handler: async (_message, meta) => handler(meta as { dequeueCount: number }),
    },
  };
  return new QueuePoller({
    definition,
    ...queues,
    semantics,
    log: createLogger(),
    leaseSeconds: LEASE_SECONDS,
    minPollingIntervalMs: 50,
    stopGraceMs,
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('keeps the default local lease short: a crash is retried within seconds', () => {
  expect(LOCAL_LEASE_SECONDS).toBeLessThanOrEqual(15);
});

it('renews the lease while a handler runs past it: no second instance gets the message', async () => {
  const queues = await newQueue();
  const calls: number[] = [];
  const first = poller(queues, async ({ dequeueCount }) => {
    calls.push(dequeueCount);
    await sleep(LEASE_SECONDS * 2500);
  });
  const second = poller(queues, async ({ dequeueCount }) => void calls.push(dequeueCount));
  await queues.queue.sendMessage(encodeQueueMessage({ v: 1 }));
  first.start();
  while (calls.length === 0) await sleep(50);
  second.start();
  await sleep(LEASE_SECONDS * 2500 + 500);
  await Promise.all([first.stop(), second.stop()]);
  expect(calls).toEqual([1]);
  const left = await queues.queue.peekMessages({ numberOfMessages: 1 });
  expect(left.peekedMessageItems).toHaveLength(0);
}, 30_000);

it('after a crash the message comes back when its lease ends, not later', async () => {
  const queues = await newQueue();
  let crashedAt = 0;
  // The handler never finishes; stop() gives up on it at once, as a killed host would: no renewals.
  const crashed = poller(
    queues,
    () => {
      crashedAt = Date.now();
      return new Promise<void>(() => undefined);
    },
    0,
  );
  await queues.queue.sendMessage(encodeQueueMessage({ v: 1 }));
  crashed.start();
  while (!crashedAt) await sleep(20);
  await crashed.stop();
  let redelivered = 0;
  let attempt = 0;
  const next = poller(queues, async ({ dequeueCount }) => {
    redelivered = Date.now();
    attempt = dequeueCount;
  });
  next.start();
  while (!redelivered && Date.now() - crashedAt < 20_000) await sleep(50);
  await next.stop();
  expect(attempt).toBe(2);
  const waitedMs = redelivered - crashedAt;
  expect(waitedMs).toBeGreaterThanOrEqual(LEASE_SECONDS * 1000 - 500);
  expect(waitedMs).toBeLessThan(LEASE_SECONDS * 1000 + 2000);
}, 30_000);
