import { expiredRuns, KEEP_NEWEST_RUNS } from '../../../src/history/prune';
import type { RunSummaryRow } from '../../../src/store/runs';

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-01T00:00:00Z');
const CUTOFF = NOW - 90 * DAY;

/** `count` runs of one job, newest first, one a day, all ended `status`. */
function history(count: number, status: RunSummaryRow['status'] = 'succeeded'): RunSummaryRow[] {
  return Array.from({ length: count }, (_, i) => ({
    partition: 'job-1',
    id: `run-${String(i).padStart(4, '0')}`,
    kind: 'backup' as const,
    status,
    createdAt: new Date(NOW - i * DAY).toISOString(),
    endedAt: new Date(NOW - i * DAY + 60_000).toISOString(),
  }));
}

describe('which runs history retention deletes', () => {
  it('deletes finished runs older than the cutoff and keeps the younger ones', () => {
    const runs = history(200);
    const expired = expiredRuns(runs, CUTOFF);
    // Day 90 ended one minute after the cutoff: days 91..199 are older.
    expect(expired.map((r) => r.id)).toEqual(runs.slice(91).map((r) => r.id));
  });

  it("keeps a job's newest runs whatever their age", () => {
    const runs = history(30).map((run) => ({ ...run, endedAt: '2020-01-01T00:00:00Z' }));
    expect(expiredRuns(runs, CUTOFF).map((r) => r.id)).toEqual(runs.slice(KEEP_NEWEST_RUNS).map((r) => r.id));
  });

  it('keeps the newest run that backed files up, even past the newest 20 and the cutoff', () => {
    const runs = history(200, 'failed');
    runs[150] = { ...runs[150], status: 'partially-failed' };
    runs[160] = { ...runs[160], status: 'succeeded' };
    const expired = expiredRuns(runs, CUTOFF).map((r) => r.id);
    expect(expired).not.toContain(runs[150].id);
    expect(expired).toContain(runs[160].id);
    expect(expired).toHaveLength(200 - 91 - 1);
  });

  it('never deletes a run that has not ended, nor one whose date does not parse', () => {
    const runs = history(100);
    runs[95] = { ...runs[95], status: 'running' };
    runs[96] = { ...runs[96], status: 'queued' };
    runs[97] = { ...runs[97], endedAt: undefined, createdAt: 'not a date' };
    const expired = expiredRuns(runs, CUTOFF).map((r) => r.id);
    expect(expired).not.toContain(runs[95].id);
    expect(expired).not.toContain(runs[96].id);
    expect(expired).not.toContain(runs[97].id);
    expect(expired).toHaveLength(100 - 91 - 3);
  });

  it('a restore run does not count as the last backup', () => {
    const runs = history(100, 'failed');
    runs[95] = { ...runs[95], kind: 'restore', status: 'succeeded' };
    expect(expiredRuns(runs, CUTOFF).map((r) => r.id)).toContain(runs[95].id);
  });
});
