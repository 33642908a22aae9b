// Days left and the threshold crossed for a secret's expiry.
import { daysLeft, evaluateExpiry, severityFor } from '../../../src/alerts/expiry';
import { DAY, EXPIRY } from './fixtures';

describe('expiry evaluation', () => {
  it('rounds days left up and calls zero or less expired', () => {
    expect(daysLeft(EXPIRY, new Date(EXPIRY.getTime() - 16 * 3600_000))).toBe(1);
    expect(daysLeft(EXPIRY, new Date(EXPIRY.getTime() - DAY))).toBe(1);
    expect(daysLeft(EXPIRY, new Date(EXPIRY.getTime() - DAY - 1))).toBe(2);
    expect(evaluateExpiry(EXPIRY, EXPIRY).state).toBe('expired');
  });

  it('picks the tightest threshold crossed, with severity rising towards expiry', () => {
    const at = (days: number) => evaluateExpiry(EXPIRY, new Date(EXPIRY.getTime() - days * DAY));
    expect(at(31)).toMatchObject({ state: 'ok', daysLeft: 31 });
    expect(at(30)).toMatchObject({ state: 'due', threshold: 30, severity: 'info' });
    expect(at(15)).toMatchObject({ state: 'due', threshold: 30 });
    expect(at(14)).toMatchObject({ state: 'due', threshold: 14, severity: 'warning' });
    expect(at(5)).toMatchObject({ state: 'due', threshold: 7, severity: 'warning' });
    expect(at(3)).toMatchObject({ state: 'due', threshold: 3, severity: 'error' });
    expect(at(1)).toMatchObject({ state: 'due', threshold: 1, severity: 'error' });
    expect(at(-1)).toMatchObject({ state: 'expired', severity: 'critical' });
    expect(evaluateExpiry(undefined, EXPIRY)).toEqual({ state: 'unknown', severity: 'warning' });
    expect(['info', 'warning', 'error', 'critical'].indexOf(severityFor(30))).toBeLessThan(
      ['info', 'warning', 'error', 'critical'].indexOf(severityFor(0)),
    );
  });

  it('uses configured thresholds', () => {
    expect(evaluateExpiry(EXPIRY, new Date(EXPIRY.getTime() - 50 * DAY), [60, 10])).toMatchObject({
      state: 'due',
      threshold: 60,
    });
    expect(evaluateExpiry(EXPIRY, new Date(EXPIRY.getTime() - 20 * DAY), [10])).toMatchObject({
      state: 'ok',
    });
  });
});
