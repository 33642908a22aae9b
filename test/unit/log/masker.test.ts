// The log masker: registered values are masked wherever they occur, short values never are, the set
// stays bounded by count, characters and age, and a line costs the same with 10 or 10,000 values.
import { MASK, SecretMasker, type MaskerLimits } from '../../../src/log/masker';

const LIMITS: MaskerLimits = {
  maxEntries: 20_000,
  maxTotalChars: 10_000_000,
  maxAgeMs: 3600_000,
  maxValueLength: 4096,
};

function randomValue(i: number): string {
  return `secret-${i}-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
}

describe('SecretMasker', () => {
  it('masks every occurrence of a registered value, and overlapping values as one span', () => {
    const masker = new SecretMasker(LIMITS);
    masker.register('abcdefgh12345678');
    masker.register('12345678ZYXWVUTS');
    expect(masker.mask('x=abcdefgh12345678 y=abcdefgh12345678')).toBe(`x=${MASK} y=${MASK}`);
    // The two overlap in "12345678": nothing of either may survive between masks.
    expect(masker.mask('[abcdefgh12345678ZYXWVUTS]')).toBe(`[${MASK}]`);
    expect(masker.mask('nothing here')).toBe('nothing here');
  });

  it('never registers short values, so common words such as field names stay readable', () => {
    const masker = new SecretMasker(LIMITS);
    for (const word of ['event', 'level', 'time', 'runId', 'a', '1234567']) masker.register(word);
    expect(masker.size).toBe(0);
    const line = '{"time":"x","level":"info","event":"auth.callback.ok","runId":"1234567"}';
    expect(masker.mask(line)).toBe(line);
  });

  it('keeps at most maxEntries values, forgetting the least recently registered first', () => {
    const masker = new SecretMasker({ ...LIMITS, maxEntries: 3 });
    const values = ['value-one-1111', 'value-two-2222', 'value-three-33', 'value-four-444'];
    masker.register(values[0]);
    masker.register(values[1]);
    masker.register(values[2]);
    masker.register(values[0]); // used again: now the youngest
    masker.register(values[3]);
    expect(masker.size).toBe(3);
    expect(masker.mask(values[1])).toBe(values[1]);
    for (const v of [values[0], values[2], values[3]]) expect(masker.mask(v)).toBe(MASK);
  });

  it('keeps at most maxTotalChars characters of values', () => {
    const masker = new SecretMasker({ ...LIMITS, maxTotalChars: 1000 });
    for (let i = 0; i < 1000; i++) masker.register('x'.repeat(90) + String(i).padStart(10, '0'));
    expect(masker.size).toBe(10);
  });

  it('forgets a value not registered again within maxAgeMs', () => {
    let now = 0;
    const masker = new SecretMasker({ ...LIMITS, maxAgeMs: 1000 }, () => now);
    masker.register('kept-because-used');
    masker.register('forgotten-value-1');
    now = 900;
    masker.register('kept-because-used');
    now = 1500;
    expect(masker.mask('forgotten-value-1')).toBe('forgotten-value-1');
    expect(masker.mask('kept-because-used')).toBe(MASK);
    expect(masker.size).toBe(1);
  });

  it('refuses values longer than maxValueLength', () => {
    const masker = new SecretMasker({ ...LIMITS, maxValueLength: 100 });
    masker.register('y'.repeat(101));
    expect(masker.size).toBe(0);
  });

  it('compares a line only with the values that share a tail with it, however many are registered', () => {
    const masker = new SecretMasker(LIMITS);
    for (let i = 0; i < 10_000; i++) masker.register(randomValue(i));
    const secret = 'the-one-that-leaks-0123456789';
    masker.register(secret);
    masker.comparisons = 0;
    expect(masker.mask('{"event":"upload.file.done","file":"a/b/c.bin","bytes":42}')).not.toContain(MASK);
    expect(masker.comparisons).toBe(0);
    expect(masker.mask(`error: ${secret} was in the message`)).toBe(`error: ${MASK} was in the message`);
    expect(masker.comparisons).toBe(1);
  });

  it('does the same work on a line with 10 and with 10,000 registered values', () => {
    // Counted, not timed: a test that times itself fails on a loaded machine, and the cost that
    // would grow with the set is the values compared against the line.
    // Its tail appears nowhere in the line, so a clean line compares with no value at all.
    const secret = 'the-one-that-leaks-abcdefghij';
    const line = JSON.stringify({
      time: new Date(0).toISOString(),
      level: 'info',
      event: 'upload.file.done',
      runId: '20270101T000000-abcdef',
      file: 'exports/2027/01/01/database-dump-0001.bak',
      bytes: 123456789,
      note: 'a log line of ordinary length with nothing secret in it at all, just words and numbers 42',
    });
    const work = (registered: number): number[] => {
      const masker = new SecretMasker(LIMITS);
      for (let i = 0; i < registered; i++) masker.register(randomValue(i));
      masker.register(secret);
      expect(masker.size).toBe(registered + 1);
      const perLine: number[] = [];
      for (const text of [line, `${line} ${secret}`, `${secret}${secret}`]) {
        masker.comparisons = 0;
        masker.mask(text);
        perLine.push(masker.comparisons);
      }
      return perLine;
    };
    const small = work(10);
    expect(small).toEqual([0, 1, 2]);
    expect(work(10_000)).toEqual(small);
  });
});
