// When a job's copies stop being where its manifest says (Job.manifestSince): a change of
// connection, folder, Office files rule or source container marks the time; other edits keep it.
import { validateJob } from '../../../src/store/jobs';
import { inCurrentPlace, manifestMatches, type ManifestEntry } from '../../../src/store/manifest';

const CREATED = new Date('2026-11-01T10:00:00Z');
const EDITED = new Date('2026-12-01T10:00:00Z');
const input = {
  name: 'n',
  connectionId: 'c',
  source: { container: 'backups' },
  destinationFolder: 'f',
  schedule: '0 0 2 * * *',
};
const base = validateJob(input, undefined, 'j', CREATED);

describe('manifestSince', () => {
  it('is unset on a new job and kept through edits that do not move it', () => {
    expect(base.manifestSince).toBeUndefined();
    for (const edit of [
      { name: 'renamed' },
      { schedule: '0 0 3 * * *' },
      { destinationFolder: '/f/' },
      { source: { container: 'backups', prefix: 'a/' } },
    ])
      expect(validateJob(edit, base, 'j', EDITED).manifestSince).toBeUndefined();
  });

  it.each([
    ['the connection', { connectionId: 'other' }],
    ['the folder', { destinationFolder: 'g' }],
    ['the Office files rule', { officeFiles: 'native' }],
    ['the source container', { source: { container: 'another' } }],
  ])('is set to the time of the edit when %s changes', (_what, edit) => {
    const moved = validateJob(edit, base, 'j', EDITED);
    expect(moved.manifestSince).toBe(EDITED.toISOString());
    // A later edit that does not move it keeps the time.
    expect(validateJob({ name: 'x' }, moved, 'j', new Date('2026-12-02T00:00:00Z')).manifestSince).toBe(
      EDITED.toISOString(),
    );
  });

  it('makes entries recorded up to the change stale, and later ones current', () => {
    const job = { manifestSince: EDITED.toISOString() };
    const entry = (uploadedAt: string): ManifestEntry => ({
      blobName: 'a',
      etag: '"1"',
      size: 1,
      driveItemId: 'i',
      drivePath: 'p',
      quickXorHash: 'h',
      uploadedAt,
    });
    const blob = { etag: '"1"', size: 1 };
    expect(inCurrentPlace(entry('2026-12-01T09:59:59.999Z'), job)).toBe(false);
    expect(inCurrentPlace(entry(EDITED.toISOString()), job)).toBe(false);
    expect(inCurrentPlace(entry('2026-12-01T10:00:00.001Z'), job)).toBe(true);
    expect(inCurrentPlace(entry('2020-01-01T00:00:00Z'), {})).toBe(true);
    expect(manifestMatches(entry('2026-11-30T00:00:00Z'), blob, job)).toBe(false);
    expect(manifestMatches(entry('2026-11-30T00:00:00Z'), blob)).toBe(true);
  });
});
