// The local host's timers and the settings loader read NCRONTAB with the same rules as job
// schedules: a timer with both a day and a day of week fires only when both match, as Azure's
// timer trigger does, where Unix cron fires when either matches.
import type { FunctionDefinition, TimerInfo } from '../../../src/app/types';
import { isNcrontab } from '../../../src/config';
import { TimerScheduler } from '../../../src/local/timers';
import { createLogger, setLogSink } from '../../../src/log/logger';

const timerFunction: FunctionDefinition = {
  name: 'fridayThe13th',
  trigger: { type: 'timer', scheduleSetting: 'SCHEDULER_CRON', handler: async () => undefined },
};

const at = (iso: string): Date => new Date(iso);

describe('local timer schedules', () => {
  it('fire when both the day of month and the day of week match, not when either does', () => {
    const timer = new TimerScheduler(timerFunction, '0 0 0 13 * 5', createLogger());
    // 2 January 2026 is a Friday and the 13th of January a Tuesday: neither is Friday the 13th.
    expect(timer.next(at('2026-01-01T00:00:00Z'))).toEqual(at('2026-02-13T00:00:00Z'));
    expect(timer.next(at('2026-02-13T00:00:00Z'))).toEqual(at('2026-03-13T00:00:00Z'));
  });

  it('refuse at start what Azure refuses, such as a 5-field Unix cron or Sunday written as 7', () => {
    expect(() => new TimerScheduler(timerFunction, '0 0 * * *', createLogger())).toThrow(/6 fields/);
    expect(() => new TimerScheduler(timerFunction, '0 0 0 * * 7', createLogger())).toThrow(/day-of-week/);
  });
});

describe('NCRONTAB settings', () => {
  it.each(['0 0 0 L * *', '0 0 0 ? * *', '0 0 0 * * 7', '0 0 0 31 4 *'])(
    'refuse %p, which the timer trigger would not run',
    (expression) => expect(isNcrontab(expression)).toBe(false),
  );

  it('accept what the timer trigger runs, names included', () => {
    expect(isNcrontab('0 30 9 * Jan Mon')).toBe(true);
    expect(isNcrontab('0 */5 * * * *')).toBe(true);
  });
});

describe('a timer tick', () => {
  beforeEach(() => jest.useFakeTimers({ now: at('2026-01-01T00:00:00.200Z') }));
  afterEach(() => jest.useRealTimers());

  it('reports isPastDue only when it runs more than a second after its scheduled time', async () => {
    const ticks: TimerInfo[] = [];
    const everySecond: FunctionDefinition = {
      name: 'everySecond',
      trigger: { type: 'timer', scheduleSetting: 'SCHEDULER_CRON', handler: async (t) => void ticks.push(t) },
    };
    const previous = setLogSink(() => undefined);
    const timer = new TimerScheduler(everySecond, '* * * * * *', createLogger());
    try {
      timer.start();
      await jest.advanceTimersByTimeAsync(800);
      expect(ticks).toEqual([{ scheduledAt: at('2026-01-01T00:00:01Z'), isPastDue: false }]);
      // The process stalls for five seconds (the clock moves, no timer runs): the 00:00:02 tick runs
      // late, says so, and the next one is scheduled from now, not from the missed seconds.
      jest.setSystemTime(at('2026-01-01T00:00:06.000Z'));
      await jest.advanceTimersByTimeAsync(1000);
      expect(ticks[1]).toEqual({ scheduledAt: at('2026-01-01T00:00:02Z'), isPastDue: true });
      await jest.advanceTimersByTimeAsync(1000);
      expect(ticks).toHaveLength(3);
      expect(ticks[2]).toEqual({ scheduledAt: at('2026-01-01T00:00:08Z'), isPastDue: false });
    } finally {
      await timer.stop();
      setLogSink(previous);
    }
  });
});
