import { decodeRowKey, encodeRowKey } from '../../../src/store/manifest';

describe('table row keys for blob names', () => {
  it.each([
    'a/b/c.txt',
    'back\\slash',
    'hash#and?query',
    'tab\tnew\nline\u007f\u0085',
    '100% ~tilde',
    'plain',
  ])('escapes forbidden characters reversibly: %j', (name) => {
    const key = encodeRowKey(name);
    // eslint-disable-next-line no-control-regex
    expect(key).not.toMatch(/[/\\#?\u0000-\u001f\u007f-\u009f]/);
    expect(decodeRowKey(key)).toBe(name);
  });
  it('turns over-long names into a digest key that never collides with an escaped one', () => {
    const key = encodeRowKey('x'.repeat(1000));
    expect(key).toMatch(/^~[0-9a-f]{64}$/);
    expect(decodeRowKey(key)).toBeUndefined();
    expect(encodeRowKey('~abc').startsWith('~')).toBe(false);
  });
});
