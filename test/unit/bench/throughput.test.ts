import { pairedRatio } from '../../../bench/throughput';

describe('pairedRatio', () => {
  it("takes the median of each round's ratio, so the machine's speed changing between rounds falls on both sides", () => {
    // The machine halves its speed in the middle of the third round (after its plain PUT): every
    // other round says 1.1 ×, while the sides' medians (55 and 100) would say 0.55 ×.
    const engine = [110, 110, 55, 55, 55];
    const plain = [100, 100, 100, 50, 50];
    expect(pairedRatio(engine, plain)).toBeCloseTo(1.1, 10);
    expect(pairedRatio([3, 1, 2], [1, 1, 1])).toBe(2);
  });

  it('refuses sides of different lengths or no round at all', () => {
    expect(() => pairedRatio([1, 2], [1])).toThrow('one pair per round');
    expect(() => pairedRatio([], [])).toThrow('one pair per round');
  });
});
