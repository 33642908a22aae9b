// The setup page's readings of a run and a schedule, as pure functions: counts that never
// contradict each other, a bar that only a success fills, the current speed from recent samples,
// and the schedule presets that write and recognise cron expressions.
import { fmtDuration, fmtUtc } from '../../../../src/ui/client/format';
import { currentSpeed, doneFraction, filesText, runCounts } from '../../../../src/ui/client/runText';
import { presetExpression, presetOf } from '../../../../src/ui/client/schedulePresets';
import type { RunView } from '../../../../src/ui/client/types';

function run(kind: RunView['kind'], status: RunView['status'], totals: RunView['totals']): RunView {
  return {
    id: 'r',
    jobId: 'j',
    kind,
    trigger: 'manual',
    status,
    createdAt: '2026-12-01T10:00:00Z',
    planningComplete: true,
    pagesPlanned: 1,
    totals,
  };
}

describe('run counts in words', () => {
  it('names each outcome once, of the whole: a failed file is not also uploaded', () => {
    const r = run('backup', 'partially-failed', { plannedFiles: 7, uploadedFiles: 6, failedFiles: 1 });
    expect(filesText(r, runCounts(r), true)).toBe('6 uploaded, 1 failed of 7');
  });

  it('counts a backup’s unchanged files beside its plan', () => {
    const r = run('backup', 'succeeded', { plannedFiles: 2, uploadedFiles: 2, skippedFiles: 4 });
    expect(filesText(r, runCounts(r), true)).toBe('2 uploaded, 4 unchanged of 6');
  });

  it('says a restore over identical files had nothing to copy, and no bytes left to copy', () => {
    const r = run('restore', 'succeeded', {
      plannedFiles: 4,
      plannedBytes: 166,
      skippedFiles: 4,
      skippedBytes: 166,
    });
    const c = runCounts(r);
    expect(filesText(r, c, true)).toBe('4 unchanged of 4 (nothing to copy)');
    expect(c.bytesToCopy).toBe(0);
  });

  it('counts the bytes of files in flight as copied so far', () => {
    const r = {
      ...run('backup', 'running', { plannedFiles: 2, plannedBytes: 1000, uploadedBytes: 100 }),
      inFlight: [{ file: 'a', size: 800, bytesDone: 300 }],
    };
    expect(runCounts(r).bytesCopied).toBe(400);
  });
});

describe('a run that copied nothing', () => {
  it('says so instead of claiming no files were found', () => {
    const failed = run('backup', 'failed', {});
    expect(filesText(failed, runCounts(failed), true)).toBe('Nothing copied');
    const running = run('backup', 'running', { plannedFiles: 3, skippedFiles: 2 });
    expect(filesText(running, runCounts(running), false)).toBe('0 uploaded, 2 unchanged of 5');
  });
});

/** The bar's share for a backup of `files` [planned, uploaded, failed] and `bytes` the same. */
function barShare(status: RunView['status'], files: number[], bytes: number[]): number {
  const [plannedFiles, uploadedFiles, failedFiles] = files;
  const [plannedBytes, uploadedBytes, failedBytes] = bytes;
  const r = run('backup', status, {
    plannedFiles,
    uploadedFiles,
    failedFiles,
    plannedBytes,
    uploadedBytes,
    failedBytes,
  });
  return doneFraction(r, runCounts(r), status === 'succeeded');
}

describe('the progress bar', () => {
  it('is full for a success only', () => {
    expect(barShare('succeeded', [1, 1, 0], [10, 10, 0])).toBe(1);
    expect(barShare('failed', [1, 1, 0], [10, 10, 0])).toBeLessThan(1);
  });

  it('leaves a gap for a failed file, however small', () => {
    expect(barShare('partially-failed', [10, 9, 1], [1000, 999, 1])).toBeCloseTo(0.9);
  });

  it('leaves the failed files’ bytes out', () => {
    expect(barShare('partially-failed', [2, 1, 1], [100, 25, 75])).toBeCloseTo(0.25);
  });
});

describe('current speed', () => {
  it('reads the last samples, not the whole run’s average', () => {
    const samples = [
      { at: 0, bytes: 0 },
      { at: 60_000, bytes: 60_000 },
      { at: 65_000, bytes: 110_000 },
      { at: 70_000, bytes: 160_000 },
    ];
    expect(currentSpeed(samples)).toBe(10_000);
    expect(currentSpeed(samples.slice(0, 1))).toBeUndefined();
  });
});

describe('schedule presets', () => {
  it('write NCRONTAB expressions and recognise them again', () => {
    expect(presetExpression({ kind: 'hourly', time: '00:15', day: 0 })).toBe('0 15 * * * *');
    expect(presetExpression({ kind: 'daily', time: '02:30', day: 0 })).toBe('0 30 2 * * *');
    expect(presetExpression({ kind: 'weekly', time: '03:05', day: 1 })).toBe('0 5 3 * * 1');
    expect(presetOf('0 30 2 * * *')).toEqual({ kind: 'daily', time: '02:30', day: 1 });
    expect(presetOf('0 5 3 * * 1')).toEqual({ kind: 'weekly', time: '03:05', day: 1 });
    expect(presetOf('0 */5 * * * *').kind).toBe('custom');
  });
});

describe('times', () => {
  it('read as UTC and as durations', () => {
    expect(fmtUtc(new Date('2026-12-01T02:30:00Z'))).toBe('2026-12-01 02:30 UTC');
    expect(fmtDuration(80_000)).toBe('1 min 20 s');
    expect(fmtDuration(12_000)).toBe('12 s');
  });
});
