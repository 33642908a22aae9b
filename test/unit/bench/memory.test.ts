import { lateGrowth } from '../../../bench/memory';

const MiB = 1024 * 1024;

describe('lateGrowth (does the peak grow with the bytes sent?)', () => {
  it('is about 0 for a run that warms up, then only swings', () => {
    // First quarter: warm-up (pool chunks, TLS, heap growing); afterwards swings of ±10 MiB.
    const series = [100, 150, 170, 175, 165, 178, 170, 168, 176, 166, 178, 171].map((n) => n * MiB);
    expect(lateGrowth(series)).toBe(0);
  });

  it('shows the growth of a run whose memory climbs with the file', () => {
    const series = Array.from({ length: 16 }, (_, i) => (150 + 2 * i) * MiB);
    // Highest of the last quarter (i = 15) minus the highest of the second (i = 7).
    expect(lateGrowth(series)).toBe(16 * MiB);
  });

  it('says nothing for runs too short to tell (under 8 samples)', () => {
    expect(lateGrowth([1, 2, 3, 4, 5, 6, 7].map((n) => n * MiB))).toBeUndefined();
    expect(lateGrowth(undefined)).toBeUndefined();
  });
});
