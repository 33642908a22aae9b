// The current speed is measured over the last few seconds, not since the start, and the time left
// divides what remains by it.
import { formatDuration, SpeedMeter } from '../../../src/cli/speed';

describe('SpeedMeter', () => {
  it('knows no speed from one sample', () => {
    const meter = new SpeedMeter();
    meter.add(0, 0);
    expect(meter.current()).toBeUndefined();
    expect(meter.eta(100)).toBeUndefined();
  });

  it('measures the last five seconds: a burst after a stall shows, the stall is forgotten', () => {
    const meter = new SpeedMeter();
    for (let t = 0; t <= 20_000; t += 1000) meter.add(t, 0); // stalled for 20 s
    for (let t = 21_000; t <= 26_000; t += 1000) meter.add(t, (t - 20_000) * 1000); // then 1 MB/s
    expect(meter.current()).toBeCloseTo(1_000_000, -3);
    expect(meter.eta(5_000_000)).toBeCloseTo(5, 0);
  });

  it('restarts when the count goes back (a retried part), instead of showing a negative speed', () => {
    const meter = new SpeedMeter();
    meter.add(0, 5000);
    meter.add(1000, 1000);
    expect(meter.current()).toBeUndefined();
    meter.add(2000, 3000);
    expect(meter.current()).toBe(2000);
  });

  it('formats the time left as m:ss or h:mm:ss', () => {
    expect(formatDuration(7)).toBe('0:07');
    expect(formatDuration(754)).toBe('12:34');
    expect(formatDuration(3723)).toBe('1:02:03');
  });
});
