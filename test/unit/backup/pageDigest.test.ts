import { pageDigest } from '../../../src/backup/pageDigest';
import { validateJob, type Job } from '../../../src/store/jobs';
import type { SourceItem } from '../../../src/sources/types';

const job = (extra: Record<string, unknown> = {}): Job =>
  validateJob(
    {
      name: 'digest',
      connectionId: 'c1',
      source: { container: 'photos' },
      destinationFolder: 'Backup',
      schedule: '0 0 2 * * *',
      ...extra,
    },
    undefined,
    'job-1',
    new Date('2026-03-01T00:00:00Z'),
  );

const item = (over: Partial<SourceItem> = {}): SourceItem => ({
  name: 'a/b.txt',
  size: 10,
  etag: '"0x8D0000000000001"',
  contentMd5: 'q83vEjRWeJA=',
  lastModified: new Date('2026-01-01T00:00:00Z'),
  facts: {
    properties: { contentType: 'text/plain' },
    metadata: { owner: 'ann' },
    tags: { project: 'x' },
    lastModified: '2026-01-01T00:00:00.000Z',
  },
  ...over,
});

describe('pageDigest', () => {
  const base = pageDigest(job(), [item(), item({ name: 'c.txt' })]);

  it('is the same for the same listing and job', () => {
    expect(pageDigest(job(), [item(), item({ name: 'c.txt' })])).toBe(base);
  });

  it.each<[string, SourceItem[]]>([
    ['a name', [item({ name: 'a/B.txt' }), item({ name: 'c.txt' })]],
    ['an ETag', [item({ etag: '"0x8D0000000000002"' }), item({ name: 'c.txt' })]],
    ['a size', [item({ size: 11 }), item({ name: 'c.txt' })]],
    ['an MD5', [item({ contentMd5: undefined }), item({ name: 'c.txt' })]],
    [
      'a last-modified time',
      [item({ lastModified: new Date('2026-01-02T00:00:00Z') }), item({ name: 'c.txt' })],
    ],
    ['tags alone', [item({ facts: { ...item().facts!, tags: { project: 'y' } } }), item({ name: 'c.txt' })]],
    ['metadata alone', [item({ facts: { ...item().facts!, metadata: {} } }), item({ name: 'c.txt' })]],
    ['the order', [item({ name: 'c.txt' }), item()]],
    ['a file fewer', [item()]],
  ])('changes with %s', (_what, items) => {
    expect(pageDigest(job(), items)).not.toBe(base);
  });

  it('changes with the job’s source and maximum age (retention removes entries past it)', () => {
    const items = [item(), item({ name: 'c.txt' })];
    expect(pageDigest(job({ source: { container: 'other' } }), items)).not.toBe(base);
    expect(pageDigest(job({ source: { container: 'photos', prefix: 'a/' } }), items)).not.toBe(base);
    expect(pageDigest(job({ retention: { mirrorMaxAgeDays: 30 } }), items)).not.toBe(base);
  });
});
