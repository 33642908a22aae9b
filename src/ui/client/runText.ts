// What a run's totals say, in words that never contradict each other: a backup plans only the
// files it will copy and counts unchanged ones beside the plan, while a restore's plan already
// includes the files it finds identical. Both are reduced to one reading here: of `total` files,
// so many copied, unchanged and failed. Pure, so the unit tests can pin every wording.
import type { RunView } from './types';

export interface RunCounts {
  total: number;
  copied: number;
  unchanged: number;
  failed: number;
  /** Bytes that need copying (unchanged files excluded), copied so far, failed. */
  bytesToCopy: number;
  bytesCopied: number;
  bytesFailed: number;
  planningComplete: boolean;
}

export function runCounts(run: RunView): RunCounts {
  const t = run.totals || {};
  const restore = run.kind === 'restore';
  const planned = t.plannedFiles || 0;
  const unchanged = t.skippedFiles || 0;
  const plannedBytes = t.plannedBytes || 0;
  const bytesInFlight = (run.inFlight || []).reduce((sum, f) => sum + (f.bytesDone || 0), 0);
  return {
    total: restore ? planned : planned + unchanged,
    copied: t.uploadedFiles || 0,
    unchanged,
    failed: t.failedFiles || 0,
    bytesToCopy: Math.max(0, restore ? plannedBytes - (t.skippedBytes || 0) : plannedBytes),
    bytesCopied: (t.uploadedBytes || 0) + bytesInFlight,
    bytesFailed: t.failedBytes || 0,
    planningComplete: run.planningComplete !== false,
  };
}

/** "6 uploaded, 1 failed of 7", "4 unchanged of 4 (nothing to copy)", "2 restored of 4 so far". */
export function filesText(run: RunView, c: RunCounts, finished: boolean): string {
  const verb = run.kind === 'restore' ? 'restored' : 'uploaded';
  if (c.total === 0) {
    if (finished) return run.status === 'succeeded' ? 'No files found' : 'Nothing copied';
    return c.planningComplete ? 'No files to copy' : 'Listing files\u2026';
  }
  const parts: string[] = [];
  // While it runs, the copied count shows from the start, so a person sees it move.
  if (c.copied > 0 || !finished || (c.unchanged === 0 && c.failed === 0)) parts.push(c.copied + ' ' + verb);
  if (c.unchanged > 0) parts.push(c.unchanged + ' unchanged');
  if (c.failed > 0) parts.push(c.failed + ' failed');
  let text = parts.join(', ') + ' of ' + c.total;
  if (c.unchanged === c.total) text += ' (nothing to copy)';
  const open = c.total - c.copied - c.unchanged - c.failed;
  if (!finished && !c.planningComplete) text += ' (still listing)';
  else if (finished && open > 0) text += ', ' + open + ' not attempted';
  return text;
}

/**
 * Share of the work done, 0..1; only a run that succeeded reaches 1. A failed file is a gap in the
 * bar by its bytes and by its count, whichever is larger, so one tiny failed file still shows.
 */
export function doneFraction(run: RunView, c: RunCounts, succeeded: boolean): number {
  if (succeeded && c.failed === 0) return 1;
  const byFiles = c.total > 0 ? (c.copied + c.unchanged) / c.total : 0;
  const fraction = c.bytesToCopy > 0 ? Math.min(c.bytesCopied / c.bytesToCopy, byFiles || 1) : byFiles;
  return Math.min(0.99, Math.max(0, fraction));
}

export interface Sample {
  /** Milliseconds since the epoch. */
  at: number;
  bytes: number;
}

/** Bytes per second over the last `windowMs` of samples (the current speed, not the average). */
export function currentSpeed(samples: Sample[], windowMs = 10_000): number | undefined {
  if (samples.length < 2) return undefined;
  const last = samples[samples.length - 1];
  let first = samples[0];
  for (const s of samples) {
    if (last.at - s.at <= windowMs) {
      first = s;
      break;
    }
  }
  if (first === last) first = samples[samples.length - 2];
  const seconds = (last.at - first.at) / 1000;
  return seconds > 0 ? Math.max(0, last.bytes - first.bytes) / seconds : undefined;
}

/** The rate between each pair of consecutive samples: the throughput chart's points. */
export function rates(samples: Sample[]): Array<{ at: number; rate: number }> {
  const out: Array<{ at: number; rate: number }> = [];
  for (let i = 1; i < samples.length; i += 1) {
    const seconds = (samples[i].at - samples[i - 1].at) / 1000;
    if (seconds > 0)
      out.push({ at: samples[i].at, rate: Math.max(0, samples[i].bytes - samples[i - 1].bytes) / seconds });
  }
  return out;
}
