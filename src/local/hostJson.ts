// Reads the queue semantics from the same host.json Azure Functions uses, so the local host retries,
// batches and poisons messages exactly as configured for production.
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface QueueSemantics {
  batchSize: number;
  newBatchThreshold: number;
  maxDequeueCount: number;
  /** Delay before a failed message is visible again (host.json `visibilityTimeout`). */
  retryDelayMs: number;
  maxPollingIntervalMs: number;
}

/** Azure Functions defaults, for any field host.json leaves out. */
export const DEFAULT_QUEUE_SEMANTICS: QueueSemantics = {
  batchSize: 16,
  newBatchThreshold: 8,
  maxDequeueCount: 5,
  retryDelayMs: 0,
  maxPollingIntervalMs: 60_000,
};

/** "hh:mm:ss" (optionally "d.hh:mm:ss" and fractional seconds) → milliseconds. */
export function parseTimeSpan(value: string): number {
  const match = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(value.trim());
  if (!match) throw new Error(`host.json: "${value}" is not a TimeSpan (hh:mm:ss)`);
  const [, days, hours, minutes, seconds] = match;
  return Math.round(
    ((Number(days ?? 0) * 24 + Number(hours)) * 3600 + Number(minutes) * 60 + Number(seconds)) * 1000,
  );
}

export function hostJsonPath(): string {
  // src/local → repository root (also dist/src/local → dist, where the build does not copy host.json).
  return path.resolve(__dirname, '..', '..', 'host.json');
}

export function readQueueSemantics(file: string = hostJsonPath()): QueueSemantics {
  const queues = (JSON.parse(readFileSync(file, 'utf8')).extensions?.queues ?? {}) as Record<string, unknown>;
  const d = DEFAULT_QUEUE_SEMANTICS;
  return {
    batchSize: Number(queues.batchSize ?? d.batchSize),
    newBatchThreshold: Number(queues.newBatchThreshold ?? d.newBatchThreshold),
    maxDequeueCount: Number(queues.maxDequeueCount ?? d.maxDequeueCount),
    retryDelayMs: queues.visibilityTimeout ? parseTimeSpan(String(queues.visibilityTimeout)) : d.retryDelayMs,
    maxPollingIntervalMs: queues.maxPollingInterval
      ? parseTimeSpan(String(queues.maxPollingInterval))
      : d.maxPollingIntervalMs,
  };
}
