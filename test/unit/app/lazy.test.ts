// The root builds every area's dependencies through lazy(): once, shared by concurrent first
// callers, and built again after a failure instead of failing every later invocation.
import { lazy, lazySync } from '../../../src/app/lazy';

describe('lazy', () => {
  it('builds nothing until asked, then once for every caller, concurrent first callers included', async () => {
    let builds = 0;
    const value = lazy(async () => ({ build: ++builds }));
    expect(builds).toBe(0);
    const [a, b] = await Promise.all([value(), value()]);
    expect(a).toBe(b);
    expect(await value()).toBe(a);
    expect(builds).toBe(1);
  });

  it('forgets a build that failed, so the next call builds again', async () => {
    let builds = 0;
    const value = lazy(async () => {
      builds += 1;
      if (builds === 1) throw new Error('storage unreachable');
      return builds;
    });
    await expect(value()).rejects.toThrow('storage unreachable');
    expect(await value()).toBe(2);
    expect(await value()).toBe(2);
  });

  it('turns a build that throws before its first await into a rejection', async () => {
    const value = lazy((): Promise<number> => {
      throw new Error('no settings');
    });
    await expect(value()).rejects.toThrow('no settings');
  });
});

describe('lazySync', () => {
  it('builds once, and again after a build that threw', () => {
    let builds = 0;
    const value = lazySync(() => {
      builds += 1;
      if (builds === 1) throw new Error('no settings');
      return { build: builds };
    });
    expect(builds).toBe(0);
    expect(() => value()).toThrow('no settings');
    const first = value();
    expect(value()).toBe(first);
    expect(builds).toBe(2);
  });
});
