// Runs one queue-triggered table entry against a storage queue with the Functions host's semantics:
// batches of `batchSize`, a new batch when in-flight work drops to `newBatchThreshold`, the message
// kept invisible (lease renewed) while its handler runs, a failed message visible again after the
// retry delay, and after `maxDequeueCount` failed attempts moved, text unchanged, to <queue>-poison.
//
// The lease is where this host differs from Azure on purpose. The Functions host receives a message
// invisible for 10 minutes (fixed in its queue listener, not a host.json setting) and renews that on
// a timer while the function runs, so after a crash the message comes back up to 10 minutes later;
// host.json's `visibilityTimeout` is only the delay after a *failed* invocation. Locally nothing
// bills a renewal, so the lease is short and renewed often: a killed host's messages are retried
// within LOCAL_LEASE_SECONDS, which is what makes crash resume quick to exercise here.
import type { DequeuedMessageItem, QueueClient } from '@azure/storage-queue';
import { decodeQueueMessage } from '../app/queues';
import { invocationContext, invokeTrigger } from '../app/invoke';
import type { FunctionDefinition } from '../app/types';
import type { Logger } from '../log/logger';
import type { QueueSemantics } from './hostJson';

export interface QueuePollerOptions {
  definition: FunctionDefinition;
  queue: QueueClient;
  poison: QueueClient;
  semantics: QueueSemantics;
  log: Logger;
  /** How long a received message stays invisible while its handler runs; renewed every third of it. */
  leaseSeconds?: number;
  /** First wait after an empty poll; doubles up to semantics.maxPollingIntervalMs. */
  minPollingIntervalMs?: number;
  /** How long stop() waits for running handlers before abandoning them to their lease. */
  stopGraceMs?: number;
}

/**
 * The local lease: a crashed handler's message is visible again at most this long after the last
 * renewal. Renewed every third, so one late renewal (a busy event loop) does not lose the lease.
 */
export const LOCAL_LEASE_SECONDS = 10;

interface Running {
  done: Promise<void>;
  abandon(): void;
}

export class QueuePoller {
  private stopped = false;
  private loopDone?: Promise<void>;
  private readonly running = new Set<Running>();
  private wakeUp?: () => void;
  private pollDelay = 0;
  /**
   * Cancels a receive in flight at stop: in embedded mode Ctrl-C reaches Azurite too, and a receive
   * sent to it as it exits retries for tens of seconds, holding up the orderly stop.
   */
  private readonly receiving = new AbortController();
  private readonly leaseSeconds: number;
  private readonly minPollMs: number;

  constructor(private readonly options: QueuePollerOptions) {
    if (options.definition.trigger.type !== 'queue')
      throw new Error(`${options.definition.name} is not a queue function`);
    this.leaseSeconds = options.leaseSeconds ?? LOCAL_LEASE_SECONDS;
    this.minPollMs = options.minPollingIntervalMs ?? 100;
  }

  start(): void {
    this.loopDone ??= this.loop();
  }

  /** Stops polling; waits for running handlers (up to the grace period), then returns. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.receiving.abort();
    this.wake();
    await this.loopDone;
    const all = Promise.all([...this.running].map((r) => r.done));
    const grace = this.options.stopGraceMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      all.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), grace))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      // The message stays invisible until its lease ends, then is redelivered: at-least-once, as in Azure.
      for (const r of this.running) r.abandon();
      this.options.log.warn('queue.stop.abandoned', {
        function: this.options.definition.name,
        running: this.running.size,
      });
    }
  }

  /**
   * A function of this host just queued a message here: poll now instead of waiting out the empty-poll
   * back-off, as the Functions runtime's shared queue watcher does for queues written in-process.
   */
  notifyMessageAdded(): void {
    this.pollDelay = this.minPollMs;
    this.wake();
  }

  private wake(): void {
    this.wakeUp?.();
  }

  /** Waits `ms`, or less when woken (stop, or a slot freed). */
  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
  }

  private async loop(): Promise<void> {
    const { queue, semantics, log, definition } = this.options;
    this.pollDelay = this.minPollMs;
    while (!this.stopped) {
      if (this.running.size > semantics.newBatchThreshold) {
        await this.idle(semantics.maxPollingIntervalMs);
        continue;
      }
      let items: DequeuedMessageItem[];
      try {
        const response = await queue.receiveMessages({
          numberOfMessages: Math.min(32, Math.max(1, semantics.batchSize)),
          visibilityTimeout: this.leaseSeconds,
          abortSignal: this.receiving.signal,
        });
        items = response.receivedMessageItems;
      } catch (error) {
        if (this.stopped) break;
        log.warn('queue.receive.failed', { function: definition.name, queue: queue.name, error });
        await this.idle(semantics.maxPollingIntervalMs);
        continue;
      }
      if (items.length === 0) {
        const delay = this.pollDelay;
        this.pollDelay = Math.min(delay * 2, semantics.maxPollingIntervalMs);
        await this.idle(delay);
        continue;
      }
      this.pollDelay = this.minPollMs;
      if (this.stopped) {
        // Received while stopping: hand the messages straight back instead of hiding them for a lease.
        await Promise.allSettled(
          items.map((m) => queue.updateMessage(m.messageId, m.popReceipt, m.messageText, 0)),
        );
        break;
      }
      for (const item of items) this.track(item);
    }
  }

  private track(item: DequeuedMessageItem): void {
    let abandon = (): void => undefined;
    const record: Running = {
      done: this.process(item, (fn) => (abandon = fn)).finally(() => {
        this.running.delete(record);
        // A freed slot (or a message made visible again at once) is a reason to poll now.
        this.wake();
      }),
      abandon: () => abandon(),
    };
    this.running.add(record);
  }

  private async process(item: DequeuedMessageItem, onAbandon: (fn: () => void) => void): Promise<void> {
    const { queue, semantics, log, definition } = this.options;
    const fields = {
      function: definition.name,
      queue: queue.name,
      messageId: item.messageId,
      attempt: item.dequeueCount,
    };
    let popReceipt = item.popReceipt;
    // Lease renewals and the final delete/update must not overlap: they are chained on one promise.
    let chain: Promise<void> = Promise.resolve();
    const renew = setInterval(
      () => {
        chain = chain
          .then(async () => {
            const r = await queue.updateMessage(
              item.messageId,
              popReceipt,
              item.messageText,
              this.leaseSeconds,
            );
            popReceipt = r.popReceipt!;
          })
          .catch((error: unknown) => log.warn('queue.lease.renew.failed', { ...fields, error }));
      },
      (this.leaseSeconds * 1000) / 3,
    );
    onAbandon(() => clearInterval(renew));

    try {
      if (item.dequeueCount > semantics.maxDequeueCount) {
        // Delivered more often than allowed without a recorded failure (e.g. a crash mid-handler).
        await this.moveToPoison(item, popReceipt);
        return;
      }
      let failed = false;
      try {
        await invokeTrigger(
          definition,
          {
            type: 'queue',
            message: decodeQueueMessage(item.messageText),
            meta: { id: item.messageId, dequeueCount: item.dequeueCount, insertedAt: item.insertedOn },
          },
          invocationContext(definition.name),
        );
      } catch {
        failed = true; // invokeTrigger has logged it with the attempt number.
      }
      clearInterval(renew);
      await chain;
      if (!failed) {
        await queue.deleteMessage(item.messageId, popReceipt);
      } else if (item.dequeueCount >= semantics.maxDequeueCount) {
        await this.moveToPoison(item, popReceipt);
      } else {
        await queue.updateMessage(
          item.messageId,
          popReceipt,
          item.messageText,
          Math.ceil(semantics.retryDelayMs / 1000),
        );
      }
    } catch (error) {
      // Storage failed under us: the lease expires and the message comes back, as in Azure.
      log.warn('queue.settle.failed', { ...fields, error });
    } finally {
      clearInterval(renew);
    }
  }

  private async moveToPoison(item: DequeuedMessageItem, popReceipt: string): Promise<void> {
    const { queue, poison, log, definition } = this.options;
    // Send first, delete second: a crash in between duplicates into poison rather than losing the message.
    await poison.sendMessage(item.messageText);
    await queue.deleteMessage(item.messageId, popReceipt);
    log.error('queue.poisoned', {
      function: definition.name,
      queue: queue.name,
      poisonQueue: poison.name,
      messageId: item.messageId,
      attempt: item.dequeueCount,
    });
  }
}
