import { quickXorAlgorithm } from '../../../../src/backup/upload/quickXor';
import { QuickXorHash } from '../../../../src/graph/quickXorHash';

describe('hash state carried across invocations', () => {
  it('continues from a saved state to the same digest as one pass', () => {
    const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff));
    const first = quickXorAlgorithm.create();
    first.update(data.subarray(0, 333));
    const resumed = quickXorAlgorithm.restore(first.save());
    resumed.update(data.subarray(333));
    expect(resumed.digest()).toBe(QuickXorHash.of(data));
    expect(quickXorAlgorithm.create().digest()).toBe('AAAAAAAAAAAAAAAAAAAAAAAAAAA=');
  });
});
