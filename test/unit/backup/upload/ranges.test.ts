import { firstExpectedByte } from '../../../../src/backup/upload/ranges';

describe('nextExpectedRanges', () => {
  it('takes the start of the first range, and the total when nothing more is expected', () => {
    expect(firstExpectedByte(['26-'], 100)).toBe(26);
    expect(firstExpectedByte(['0-99', '200-'], 300)).toBe(0);
    expect(firstExpectedByte([], 300)).toBe(300);
  });
  it('refuses unreadable or impossible answers', () => {
    expect(firstExpectedByte(undefined, 10)).toBeUndefined();
    expect(firstExpectedByte(['abc'], 10)).toBeUndefined();
    expect(firstExpectedByte(['11-'], 10)).toBeUndefined();
  });
});
