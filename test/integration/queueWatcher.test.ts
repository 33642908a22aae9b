// A message queued by a function of this host is picked up at once, not after the empty-poll
// back-off (the Functions runtime's shared queue watcher does the same for in-process writes).
import { QueueClient } from '@azure/storage-queue';
import { encodeQueueMessage } from '../../src/app/queues';
import type { FunctionDefinition } from '../../src/app/types';
import { createLogger, setLogSink, type LogSink } from '../../src/log/logger';
import { startLocalHost } from '../../src/local/host';
import { QueuePoller } from '../../src/local/queuePoller';
import { azuriteConnectionString, uniqueName } from '../helpers/azurite';
import { offlineHostEnv } from '../helpers/localHostEnv';

const ONE_MINUTE = 60_000;
let previousSink: LogSink;
beforeAll(() => (previousSink = setLogSink(() => undefined)));
afterAll(() => setLogSink(previousSink));

function queueFunction(queueName: string, handler: () => void): FunctionDefinition {
  return { name: 'watched', trigger: { type: 'queue', queueName, handler: async () => handler() } };
}

it('a poller told a message was added polls now instead of after its minute-long idle wait', async () => {
  const name = uniqueName('watch');
  const real = new QueueClient(azuriteConnectionString(), name);
  await real.create();
  const poison = new QueueClient(azuriteConnectionString(), `${name}-poison`);
  let firstPoll!: () => void;
  const polled = new Promise<void>((resolve) => (firstPoll = resolve));
  // The real client, observed: the test must know the poller has gone idle before it queues.
  const observed = Object.assign(Object.create(real) as QueueClient, {
    receiveMessages: async (options: Parameters<QueueClient['receiveMessages']>[0]) => {
      const response = await real.receiveMessages(options);
      firstPoll();
      return response;
    },
  });
  let handled!: () => void;
  const done = new Promise<'handled'>((resolve) => (handled = () => resolve('handled')));
  const poller = new QueuePoller({
    definition: queueFunction(name, () => handled()),
    queue: observed,
    poison,
    semantics: {
      batchSize: 1,
      newBatchThreshold: 0,
      maxDequeueCount: 5,
      retryDelayMs: 0,
      maxPollingIntervalMs: ONE_MINUTE,
    },
    log: createLogger(),
    minPollingIntervalMs: ONE_MINUTE,
    stopGraceMs: 1000,
  });
  poller.start();
  try {
    await polled;
    await real.sendMessage(encodeQueueMessage({ v: 1 }));
    poller.notifyMessageAdded();
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      done,
      new Promise<'still idle'>(
        (resolve) => (timer = setTimeout(() => resolve('still idle'), ONE_MINUTE / 2)),
      ),
    ]);
    clearTimeout(timer);
    expect(outcome).toBe('handled');
  } finally {
    await poller.stop();
  }
});

it("the local host's sendMessage tells the pollers of that queue, and only after a message without delay", async () => {
  const name = uniqueName('watchhost');
  const notify = jest.spyOn(QueuePoller.prototype, 'notifyMessageAdded');
  const host = await startLocalHost({
    functions: [queueFunction(name, () => undefined)],
    port: 0,
    embedded: false,
    env: offlineHostEnv({ SCHEDULER_CRON: '0 0 0 * * *' }),
  });
  try {
    await host.services.sendMessage(name, { v: 1 }, { visibilityTimeoutSeconds: 30 });
    expect(notify).not.toHaveBeenCalled();
    await host.services.sendMessage(name, { v: 1 });
    expect(notify).toHaveBeenCalledTimes(1);
  } finally {
    notify.mockRestore();
    await host.stop();
  }
});

it('stop() cancels a receive in flight instead of waiting out its retries (Azurite gone at Ctrl-C)', async () => {
  const name = uniqueName('watchstop');
  const real = new QueueClient(azuriteConnectionString(), name);
  await real.create();
  let receiving!: () => void;
  const inFlight = new Promise<void>((resolve) => (receiving = resolve));
  // A receive that never answers, as one retrying against a storage emulator that has just exited.
  const hanging = Object.assign(Object.create(real) as QueueClient, {
    receiveMessages: (options?: { abortSignal?: AbortSignal }) =>
      new Promise((_, reject) => {
        receiving();
        options?.abortSignal?.addEventListener('abort', () => reject(new Error('aborted')));
      }),
  });
  const poller = new QueuePoller({
    definition: queueFunction(name, () => undefined),
    queue: hanging,
    poison: new QueueClient(azuriteConnectionString(), `${name}-poison`),
    semantics: {
      batchSize: 1,
      newBatchThreshold: 0,
      maxDequeueCount: 5,
      retryDelayMs: 0,
      maxPollingIntervalMs: 1000,
    },
    log: createLogger(),
    stopGraceMs: 1000,
  });
  poller.start();
  await inFlight;
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    poller.stop().then(() => 'stopped' as const),
    new Promise<'still waiting'>(
      (resolve) => (timer = setTimeout(() => resolve('still waiting'), ONE_MINUTE / 2)),
    ),
  ]);
  clearTimeout(timer);
  expect(outcome).toBe('stopped');
});
