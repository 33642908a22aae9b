import { AppError } from '../../../../src/errors';
import { ChunkPrefetcher } from '../../../../src/backup/upload/prefetch';
import { firstExpectedByte } from '../../../../src/backup/upload/ranges';
import { backoffDelay, DEFAULT_RETRY_POLICY, parseRetryAfter } from '../../../../src/runtime/retry';
import { assertUploadUrl, hostAllowed, UPLOAD_HOSTS_BY_CLOUD } from '../../../../src/backup/upload/uploadUrl';
import { quickXorAlgorithm } from '../../../../src/backup/upload/quickXor';
import { QuickXorHash } from '../../../../src/graph/quickXorHash';
import { decodeRowKey, encodeRowKey } from '../../../../src/store/manifest';

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

describe('retry timing', () => {
  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.UTC(2026, 0, 1);
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(new Date(now + 5000).toUTCString(), now)).toBe(5000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
  it('backs off exponentially with full jitter, capped', () => {
    const top = { ...DEFAULT_RETRY_POLICY, random: () => 0.999999 };
    expect(backoffDelay(top, 1)).toBe(499);
    expect(backoffDelay(top, 3)).toBe(1999);
    expect(backoffDelay(top, 30)).toBe(29_999);
    expect(backoffDelay({ ...top, random: () => 0 }, 5)).toBe(0);
  });
});

describe('upload URL validation', () => {
  it('accepts the cloud upload hosts and an explicitly allowed local host', () => {
    expect(hostAllowed('contoso-my.sharepoint.com', UPLOAD_HOSTS_BY_CLOUD.global)).toBe(true);
    expect(hostAllowed('api.onedrive.com', UPLOAD_HOSTS_BY_CLOUD.global)).toBe(true);
    expect(() => assertUploadUrl('https://127.0.0.1:4443/up/abc/def', ['127.0.0.1'])).not.toThrow();
  });
  it.each([
    ['http://contoso-my.sharepoint.com/x', 'plain http'],
    ['https://evil.example/x', 'another host'],
    ['https://sharepoint.com.evil.example/x', 'a look-alike suffix'],
    ['https://user:pw@contoso-my.sharepoint.com/x', 'credentials in the URL'],
    ['https://169.254.169.254/metadata', 'the instance metadata address'],
    ['not a url', 'not a URL'],
  ])('refuses %s (%s)', (url) => {
    expect(() => assertUploadUrl(url, UPLOAD_HOSTS_BY_CLOUD.global)).toThrow(AppError);
    try {
      assertUploadUrl(url, UPLOAD_HOSTS_BY_CLOUD.global);
    } catch (error) {
      expect((error as AppError).code).toBe('MessageInvalid');
    }
  });
});

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

describe('read-ahead', () => {
  function source(total: number): {
    reads: Array<[number, number]>;
    read: (o: number, c: number) => Promise<Buffer>;
  } {
    const reads: Array<[number, number]> = [];
    return {
      reads,
      read: async (offset, count) => {
        reads.push([offset, count]);
        return Buffer.alloc(Math.min(count, total - offset), offset & 0xff);
      },
    };
  }

  it('starts reading chunk n+1 when chunk n is handed out, and no further', async () => {
    const src = source(25);
    const prefetch = new ChunkPrefetcher(src.read, 25, 10);
    await prefetch.take(0);
    expect(src.reads).toEqual([
      [0, 10],
      [10, 10],
    ]);
    await prefetch.take(10);
    expect(src.reads).toEqual([
      [0, 10],
      [10, 10],
      [20, 5],
    ]);
    expect((await prefetch.take(20)).length).toBe(5);
    expect(src.reads).toHaveLength(3);
  });

  it('hands the same chunk again without reading it again (a retry)', async () => {
    const src = source(30);
    const prefetch = new ChunkPrefetcher(src.read, 30, 10);
    await prefetch.take(0);
    await prefetch.take(0);
    expect(src.reads).toHaveLength(2);
  });

  it('fails when the source returns fewer bytes than asked (it changed)', async () => {
    const prefetch = new ChunkPrefetcher(async () => Buffer.alloc(3), 30, 10);
    await expect(prefetch.take(0)).rejects.toMatchObject({ code: 'UpstreamError' });
  });
});

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
