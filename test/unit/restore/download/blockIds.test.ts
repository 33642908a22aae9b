// Pure parts of the restore: block ids that carry the hash state.
import { QuickXorHash } from '../../../../src/graph/quickXorHash';
import { blockId, blockPlan, resumePoint } from '../../../../src/restore/download/blockIds';

const item = { id: 'ITEM!1', size: 10, quickXorHash: 'h' };

describe('block ids', () => {
  const plan = blockPlan(item, 4); // blocks of 4, 4, 2 bytes
  const data = Buffer.from('0123456789');
  const ids: string[] = [];
  const hash = new QuickXorHash();
  for (let i = 0; i < 3; i++) {
    hash.update(data.subarray(i * 4, i * 4 + 4));
    ids.push(blockId(plan, i, hash.toState()));
  }

  it('have one length, at most 64 bytes before base64, as the Blob service requires', () => {
    expect(new Set(ids.map((id) => id.length)).size).toBe(1);
    expect(Buffer.from(ids[0], 'base64').length).toBeLessThanOrEqual(64);
  });

  it('give back the hash state after the last contiguous staged block', () => {
    const point = resumePoint(plan, [
      { id: ids[1], size: 4 },
      { id: ids[0], size: 4 },
    ]);
    expect(point.nextIndex).toBe(2);
    expect(point.ids).toEqual([ids[0], ids[1]]);
    const resumed = QuickXorHash.fromState(point.state!).update(data.subarray(8));
    expect(resumed.digest()).toBe(QuickXorHash.of(data));
  });

  it('ignore blocks after a gap, of the wrong size, or of another file version or block size', () => {
    expect(resumePoint(plan, [{ id: ids[1], size: 4 }]).nextIndex).toBe(0);
    expect(resumePoint(plan, [{ id: ids[0], size: 3 }]).nextIndex).toBe(0);
    expect(
      resumePoint(blockPlan({ ...item, quickXorHash: 'other' }, 4), [{ id: ids[0], size: 4 }]).nextIndex,
    ).toBe(0);
    expect(resumePoint(blockPlan(item, 5), [{ id: ids[0], size: 4 }]).nextIndex).toBe(0);
    expect(
      resumePoint(plan, [{ id: Buffer.from('someone else').toString('base64'), size: 4 }]).nextIndex,
    ).toBe(0);
  });
});
