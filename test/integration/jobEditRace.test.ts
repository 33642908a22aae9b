// A job edit and the app's own writes to the same job row (a run claiming and releasing it, the
// scheduler recording an occurrence) race on the row's ETag. The edit must not fail because the app
// won, and must not undo what the app wrote: it is applied again to the row as it is now.
import { TableClient } from '@azure/data-tables';
import { jobsApi, type AdminDeps } from '../../src/backup/admin';
import type { BackupDeps } from '../../src/backup/deps';
import { ManualClock } from '../../src/runtime/clock';
import { JobStore, type Job } from '../../src/store/jobs';
import { LOCAL_BLOB_ENDPOINTS } from '../helpers/blobEndpoints';
import { azuriteConnectionString, uniqueName } from '../helpers/azurite';

function world(): { admin: AdminDeps; jobs: JobStore } {
  const jobs = new JobStore(
    TableClient.fromConnectionString(azuriteConnectionString(), uniqueName('editrace'), {
      allowInsecureConnection: true,
    }),
  );
  const backup = {
    jobs,
    clock: new ManualClock(Date.UTC(2026, 11, 2)),
    settings: {},
    source: () => ({ listPage: async () => ({ items: [] }) }),
  } as unknown as BackupDeps;
  return { admin: { backup, connectionExists: async () => true, blobEndpoints: LOCAL_BLOB_ENDPOINTS }, jobs };
}

const request = (method: string, body: unknown) => ({
  method,
  url: '/api/jobs',
  params: {},
  query: new URLSearchParams(),
  headers: {},
  body: JSON.stringify(body),
});

async function createdJob(admin: AdminDeps): Promise<Job> {
  const created = await jobsApi.create(
    admin,
    request('POST', {
      name: 'race',
      connectionId: 'conn-1',
      source: { container: 'photos' },
      destinationFolder: 'Backups',
      schedule: '0 0 2 * * *',
    }),
  );
  expect(created.status).toBe(201);
  return created.body as Job;
}

/** Makes the app write the row (a run claims the job) between the edit's read and its save, `times` times. */
function interleaveClaims(jobs: JobStore, times: number): string[] {
  const claimed: string[] = [];
  const read = jobs.getWithEtag.bind(jobs);
  jobs.getWithEtag = async (id) => {
    const stored = await read(id);
    if (stored && claimed.length < times) {
      const runId = `run-${claimed.length}`;
      await jobs.save({ ...stored.value, activeRunId: runId }, stored.etag);
      claimed.push(runId);
    }
    return stored;
  };
  return claimed;
}

describe('a job edit racing the app’s own write to the job row', () => {
  it('is applied to the row as the app left it: both changes stay', async () => {
    const { admin, jobs } = world();
    const job = await createdJob(admin);
    const claimed = interleaveClaims(jobs, 2);
    const edited = await jobsApi.update(
      admin,
      job.id,
      request('PATCH', { chunkSizeBytes: 20 * 1024 * 1024 }),
    );
    expect(edited.status).toBe(200);
    expect(claimed).toEqual(['run-0', 'run-1']);
    expect(await jobs.require(job.id)).toMatchObject({
      chunkSizeBytes: 20 * 1024 * 1024,
      activeRunId: 'run-1',
    });
  });

  it('answers 409 when the row keeps changing under it, and leaves the row as the app wrote it', async () => {
    const { admin, jobs } = world();
    const job = await createdJob(admin);
    interleaveClaims(jobs, 100);
    const edited = await jobsApi.update(admin, job.id, request('PATCH', { name: 'renamed' }));
    expect(edited.status).toBe(409);
    expect(await jobs.require(job.id)).toMatchObject({ name: 'race', activeRunId: 'run-4' });
  });
});
