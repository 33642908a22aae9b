// UPLOAD_CHUNK_BYTES is the chunk size of a job created without one; a job that names its own
// keeps it, and changing a job never swaps its chunk size for the deployment's default.
import { LOCAL_BLOB_ENDPOINTS } from '../../helpers/blobEndpoints';
import { jobsApi, type AdminDeps } from '../../../src/backup/admin';
import type { BackupDeps } from '../../../src/backup/deps';
import { DEFAULT_CHUNK_BYTES } from '../../../src/config/chunkSize';
import { validateJob, type Job } from '../../../src/store/jobs';

const UNIT = 327_680;
const valid = {
  name: 'photos',
  connectionId: 'conn-1',
  source: { container: 'photos' },
  destinationFolder: 'Backups',
  schedule: '0 0 2 * * *',
};

/** jobsApi over an in-memory job list: enough to see what create stores. */
function admin(defaultChunkBytes: number | undefined): { deps: AdminDeps; created: Job[] } {
  const created: Job[] = [];
  const backup = {
    jobs: { create: async (job: Job) => void created.push(job) },
    clock: { now: () => Date.parse('2026-12-01T00:00:00Z') },
    settings: { defaultChunkBytes },
    source: () => ({ listPage: async () => ({ items: [] }) }),
  } as unknown as BackupDeps;
  return {
    deps: {
      backup,
      connectionExists: async () => true,
      blobEndpoints: LOCAL_BLOB_ENDPOINTS,
    },
    created,
  };
}

async function create(deps: AdminDeps, body: unknown): Promise<number> {
  const response = await jobsApi.create(deps, {
    method: 'POST',
    url: '/api/jobs',
    params: {},
    query: new URLSearchParams(),
    headers: {},
    body: JSON.stringify(body),
  });
  return response.status;
}

describe('the chunk size of new jobs', () => {
  it('is UPLOAD_CHUNK_BYTES when the job names none', async () => {
    const { deps, created } = admin(4 * UNIT);
    expect(await create(deps, valid)).toBe(201);
    expect(created.map((j) => j.chunkSizeBytes)).toEqual([4 * UNIT]);
  });

  it('is the job’s own when it names one', async () => {
    const { deps, created } = admin(4 * UNIT);
    expect(await create(deps, { ...valid, chunkSizeBytes: 8 * UNIT })).toBe(201);
    expect(created.map((j) => j.chunkSizeBytes)).toEqual([8 * UNIT]);
  });

  it('is 10 MiB when the deployment sets no default', async () => {
    const { deps, created } = admin(undefined);
    expect(await create(deps, valid)).toBe(201);
    expect(created.map((j) => j.chunkSizeBytes)).toEqual([DEFAULT_CHUNK_BYTES]);
  });

  it('stays as it was when a job is changed, whatever the default now is', () => {
    const now = new Date('2026-12-01T00:00:00Z');
    const job = validateJob(valid, undefined, 'job-1', now, { chunkSizeBytes: 2 * UNIT });
    const renamed = validateJob({ name: 'pictures' }, job, 'job-1', now, { chunkSizeBytes: 6 * UNIT });
    expect(renamed.chunkSizeBytes).toBe(2 * UNIT);
  });
});
