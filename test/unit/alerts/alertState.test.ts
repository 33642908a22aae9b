// The alert dedupe state: row keys Table storage accepts.
import { fromRowKey, rowKey } from '../../../src/alerts/alertState';

describe('dedupe row keys', () => {
  it('escapes characters Table storage refuses, reversibly', () => {
    const key = 'job/with#odd?chars\\~';
    expect(rowKey(key)).toMatch(/^[A-Za-z0-9._~-]+$/);
    expect(fromRowKey(rowKey(key))).toBe(key);
  });
});
