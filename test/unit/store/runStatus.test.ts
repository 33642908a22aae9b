import {
  FINAL_RUN_STATUSES,
  finalStatus,
  isFailedRunStatus,
  isFinalRunStatus,
} from '../../../src/store/runStatus';

describe('run statuses', () => {
  it('end a run by its file counts: no failure succeeds, failures beside successes are partial', () => {
    expect(finalStatus({ failedFiles: 0, uploadedFiles: 0, skippedFiles: 0 })).toBe('succeeded');
    expect(finalStatus({ failedFiles: 1, uploadedFiles: 0, skippedFiles: 1 })).toBe('partially-failed');
    expect(finalStatus({ failedFiles: 1, uploadedFiles: 2, skippedFiles: 0 })).toBe('partially-failed');
    expect(finalStatus({ failedFiles: 3, uploadedFiles: 0, skippedFiles: 0 })).toBe('failed');
  });

  it('count queued and running as not over, and every failed status as final', () => {
    expect(isFinalRunStatus('queued')).toBe(false);
    expect(isFinalRunStatus('running')).toBe(false);
    for (const status of ['partially-failed', 'failed', 'timed-out']) {
      expect(isFailedRunStatus(status)).toBe(true);
      expect(FINAL_RUN_STATUSES.has(status as never)).toBe(true);
    }
    expect(isFailedRunStatus('succeeded')).toBe(false);
    expect(isFinalRunStatus('succeeded')).toBe(true);
  });
});
