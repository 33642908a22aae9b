import {
  describeSchedule,
  dueRun,
  latestOccurrence,
  nextOccurrence,
  parseSchedule,
} from '../../../src/config/ncrontab';
import { AppError, isAppError } from '../../../src/errors';

const at = (iso: string): Date => new Date(iso);

function rejection(expression: string): AppError {
  try {
    parseSchedule(expression);
  } catch (error) {
    if (isAppError(error, 'ValidationFailed')) return error;
    throw error;
  }
  throw new Error(`"${expression}" was accepted`);
}

describe('parsing NCRONTAB schedules', () => {
  it('accepts the 6-field expressions Azure Functions documents, names included', () => {
    for (const expr of [
      '0 */5 * * * *',
      '0 0 * * * *',
      '0 0 9-17 * * *',
      '0 30 9 * Jan Mon',
      '0 30 9 * * 1-5',
      '0 0 2 * * *',
    ])
      expect(parseSchedule(expr).expression).toBe(expr);
    expect(parseSchedule('0 0 0 * * Sunday').fields[5]).toBe('0');
  });

  it('refuses anything but exactly 6 fields, with the format in the message and a hint for Unix cron', () => {
    const five = rejection('*/5 * * * *');
    expect(five.field).toBe('schedule');
    expect(five.message).toMatch(/exactly 6 fields.*second minute hour day month day-of-week.*has 5/);
    expect(five.message).toMatch(/leading seconds field/);
    expect(rejection('0 0 0 * * * 2024').message).toMatch(/has 7/);
    expect(rejection('   ').message).toMatch(/required/);
  });

  it.each([
    ['0 60 * * * *', /minute must be between 0 and 59.*60/],
    ['0 0 24 * * *', /hour must be between 0 and 23/],
    ['0 0 0 0 * *', /day must be between 1 and 31/],
    ['0 0 0 * 13 *', /month must be between 1 and 12/],
    ['0 0 0 * * 7', /day-of-week must be between 0 and 6 \(Sunday = 0\)/],
    ['0 0 0 ? * *', /day field "\?" is not valid/],
    ['0 0 0 L * *', /not a number/],
    ['0 0 0 * * 1#2', /not valid/],
    ['0 */0 * * * *', /step .* at least 1/],
    ['0 30-10 * * * *', /runs backwards/],
    ['0 0 0 * Foo *', /not a month name/],
    ['0 0 0 31 4 *', /never occurs|not valid/],
  ])('refuses "%s" naming the rule', (expression, rule) => {
    const error = rejection(expression);
    expect(error.message).toMatch(rule);
    expect(error.httpStatus).toBe(400);
  });
});

describe('occurrences (UTC)', () => {
  it('finds the next time strictly after the given one', () => {
    expect(nextOccurrence('0 */5 * * * *', at('2024-03-01T10:05:00Z'))).toEqual(at('2024-03-01T10:10:00Z'));
    expect(nextOccurrence('0 */5 * * * *', at('2024-03-01T10:04:59.999Z'))).toEqual(
      at('2024-03-01T10:05:00Z'),
    );
    expect(nextOccurrence('0 30 3 * * Mon', at('2024-03-01T00:00:00Z'))).toEqual(at('2024-03-04T03:30:00Z'));
  });

  it('requires both day and day-of-week when both are given, as Azure (NCrontab) does', () => {
    // Friday the 13th: Unix cron (and cron-parser alone) would also fire on every Friday and every 13th.
    expect(nextOccurrence('0 0 0 13 * 5', at('2024-01-01T00:00:00Z'))).toEqual(at('2024-09-13T00:00:00Z'));
    expect(latestOccurrence('0 0 0 13 * Fri', at('2024-09-12T00:00:00Z'))).toEqual(
      at('2023-10-13T00:00:00Z'),
    );
    // 29 February on a Thursday: next in 2052 — rare, but it does occur, so it is accepted.
    expect(nextOccurrence('0 0 0 29 2 4', at('2024-03-01T00:00:00Z'))).toEqual(at('2052-02-29T00:00:00Z'));
  });
});

describe('due runs', () => {
  const every5 = '0 */5 * * * *';

  it('is due at the scheduled time itself, and not again for the same time', () => {
    expect(dueRun(every5, at('2024-03-01T09:55:00Z'), at('2024-03-01T10:00:00Z'))).toEqual(
      at('2024-03-01T10:00:00Z'),
    );
    expect(dueRun(every5, at('2024-03-01T10:00:00Z'), at('2024-03-01T10:04:59Z'))).toBeUndefined();
  });

  it('runs a missed schedule once, for the latest missed time, however many were missed', () => {
    const last = at('2024-03-01T10:00:00Z');
    const now = at('2024-03-02T07:03:00Z'); // ~250 times missed while the app was stopped
    const due = dueRun(every5, last, now);
    expect(due).toEqual(at('2024-03-02T07:00:00Z'));
    // After that run is recorded, nothing else is due until the next time.
    expect(dueRun(every5, due, now)).toBeUndefined();
    expect(dueRun(every5, due, at('2024-03-02T07:05:00Z'))).toEqual(at('2024-03-02T07:05:00Z'));
  });

  it('treats a job that never ran as due for the latest past time', () => {
    expect(dueRun('0 0 2 * * *', undefined, at('2024-03-02T15:00:00Z'))).toEqual(at('2024-03-02T02:00:00Z'));
  });
});

describe('schedules in plain English', () => {
  it.each([
    ['0 */5 * * * *', 'every 5 minutes'],
    ['0 * * * * *', 'every minute'],
    ['*/30 * * * * *', 'every 30 seconds'],
    ['0 0 * * * *', 'every hour'],
    ['0 0 */2 * * *', 'every 2 hours'],
    ['0 0 2 * * *', 'every day at 02:00 UTC'],
    ['0 30 3 * * 1', 'at 03:30 UTC on Monday'],
    ['0 30 3 * * Mon', 'at 03:30 UTC on Monday'],
    ['0 30 7 * * 1-5', 'at 07:30 UTC on Monday through Friday'],
    ['0 0 2 * * 1,4', 'at 02:00 UTC on Monday and Thursday'],
    ['0 0 7,18 * * *', 'every day at 07:00 and 18:00 UTC'],
    ['15 0 1 1 * *', 'at 01:00:15 UTC on day 1 of every month'],
  ])('"%s" reads "%s"', (expression, words) => {
    expect(describeSchedule(expression)).toBe(words);
  });

  it('falls back to an exact field-by-field description', () => {
    expect(describeSchedule('0 */7 * * * *')).toBe(
      'at second 0, every minute divisible by 7, every hour, every day, every month, every day-of-week (UTC)',
    );
    expect(describeSchedule('0 30 9 13 Jan Fri')).toBe(
      'at second 0, minute 30, hour 9, day 13, month January, day-of-week Friday (UTC)',
    );
  });
});
