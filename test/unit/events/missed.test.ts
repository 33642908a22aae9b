import { countMissedByEvents, MISSED_MARGIN_SECONDS } from '../../../src/events/missed';

const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);
const ago = (seconds: number) => ({ lastModified: new Date(NOW - seconds * 1000) });

describe('countMissedByEvents', () => {
  const job = { trigger: 'both' as const, eventsSince: new Date(NOW - 86_400_000).toISOString() };

  it('counts files changed since events began and longer ago than the settle time and margin', () => {
    const late = 5 + MISSED_MARGIN_SECONDS + 1;
    expect(countMissedByEvents(job, [ago(late), ago(3600), ago(2)], NOW, 5)).toBe(2);
  });

  it('leaves out files whose events may still be settling or uploading', () => {
    expect(countMissedByEvents(job, [ago(5 + MISSED_MARGIN_SECONDS - 1)], NOW, 5)).toBe(0);
  });

  it('leaves out files changed before events began', () => {
    expect(countMissedByEvents(job, [ago(2 * 86_400)], NOW, 5)).toBe(0);
  });

  it('counts nothing for a job on its schedule alone, or without the setting', () => {
    expect(countMissedByEvents({ trigger: 'schedule' }, [ago(3600)], NOW, 5)).toBe(0);
    expect(countMissedByEvents(job, [ago(3600)], NOW, undefined)).toBe(0);
    expect(countMissedByEvents({ trigger: 'events' }, [ago(3600)], NOW, 5)).toBe(1);
  });
});
