// Bad bodies for the admin API's connections and jobs routes. Each must get 400 naming the field at
// fault, and nothing may be stored: no row created, an existing row unchanged, no secret written.
// Connections go through the auth area's real handlers; jobs through the backup area's jobs API,
// each over tables of this file's own.
import { localAdmin } from '../helpers/blobEndpoints';
import { TableClient } from '@azure/data-tables';
import { jobsApi, type AdminDeps } from '../../src/backup/admin';
import type { BackupDeps } from '../../src/backup/deps';
import { ManualClock } from '../../src/runtime/clock';
import type { HttpRequestLike, HttpResult } from '../../src/http/types';
import { createLogger, setLogSink, type LogSink } from '../../src/log/logger';
import { JobStore } from '../../src/store/jobs';
import { ManifestStore } from '../../src/store/manifest';
import { RunStore } from '../../src/store/runs';
import { azuriteConnectionString, uniqueName } from '../helpers/azurite';
import { callAuth, createConnection, startAuthWorld, type AuthWorld } from './authHarness';

let world: AuthWorld;
let admin: AdminDeps;
let previousSink: LogSink;
const table = (prefix: string): TableClient =>
  TableClient.fromConnectionString(azuriteConnectionString(), uniqueName(prefix), {
    allowInsecureConnection: true,
  });

beforeAll(async () => {
  previousSink = setLogSink(() => undefined);
  world = await startAuthWorld();
  const clock = new ManualClock(Date.UTC(2026, 2, 1));
  const sent: unknown[] = [];
  const backup: BackupDeps = {
    jobs: new JobStore(table('jobs')),
    runs: new RunStore({ runs: table('runs'), progress: table('prog'), files: table('files') }),
    manifest: new ManifestStore(table('manifest')),
    // Every container exists and is empty: the corpus is about bodies, not sources.
    source: (job) => ({
      container: job.source.container,
      prefix: job.source.prefix ?? '',
      listPage: async () => ({ items: [] }),
      describe: async () => {
        throw new Error('no reads in the admin corpus');
      },
      readRange: async () => {
        throw new Error('no reads in the admin corpus');
      },
      openReader: () => {
        throw new Error('no reads in the admin corpus');
      },
      properties: async () => {
        throw new Error('no reads in the admin corpus');
      },
    }),
    destination: async () => {
      throw new Error('no destination in the admin corpus');
    },
    send: async (_queue, message) => void sent.push(message),
    settings: {
      simpleUploadMaxBytes: 4 << 20,
      invocationBudgetSeconds: 60,
      plannerPageSize: 10,
      runTimeoutMinutes: 60,
      sendConcurrency: 2,
    },
    clock,
    log: createLogger({ test: 'admin-corpus' }),
  };
  admin = localAdmin(backup);
});

afterAll(async () => {
  await world?.stop();
  setLogSink(previousSink);
});

function request(body: string, method = 'POST'): HttpRequestLike {
  return {
    method,
    url: 'http://localhost/api/jobs',
    params: {},
    query: new URLSearchParams(),
    headers: {},
    body,
  };
}

function expectRefused(result: HttpResult, field: string): void {
  expect(result.status).toBe(400);
  const error = (result.body as { error: { code: string; field?: string; message: string } }).error;
  expect(error.code).toBe('ValidationFailed');
  expect(error.field).toBe(field);
  // The message says the rule, not just "invalid".
  expect(error.message.length).toBeGreaterThan(field.length + 5);
}

const MARK = 'corpus-marker';
const validJob = {
  name: MARK,
  connectionId: 'conn-1',
  source: { container: 'corpus-source' },
  destinationFolder: 'Backups/db',
  schedule: '0 0 2 * * *',
};
const bigString = (n: number): string => 'x'.repeat(n);

describe('connections API corpus: 400 naming the field, nothing stored', () => {
  const raw: Array<[string, string, string]> = [
    ['malformed JSON', '{"name": "x",', 'body'],
    ['a JSON array', '[{"name":"x"}]', 'body'],
    ['a JSON string', '"connection"', 'body'],
    ['JSON null', 'null', 'body'],
    ['name of the wrong type', JSON.stringify({ name: 42 }), 'name'],
    ['name as an object', JSON.stringify({ name: { first: 'x' } }), 'name'],
    ['an oversize name (1 MiB)', JSON.stringify({ name: bigString(1 << 20) }), 'name'],
    [
      'an oversize root folder',
      JSON.stringify({ name: MARK, rootFolder: `/${bigString(5000)}` }),
      'rootFolder',
    ],
    [
      'a root folder climbing out with ../',
      JSON.stringify({ name: MARK, rootFolder: '/Backups/../../etc' }),
      'rootFolder',
    ],
    ['a root folder of only ..', JSON.stringify({ name: MARK, rootFolder: '/..' }), 'rootFolder'],
    ['a relative root folder', JSON.stringify({ name: MARK, rootFolder: 'Backups' }), 'rootFolder'],
    [
      'a root folder with forbidden characters',
      JSON.stringify({ name: MARK, rootFolder: '/a:b/c*d' }),
      'rootFolder',
    ],
    ['an unknown field', JSON.stringify({ name: MARK, isAdmin: true }), 'isAdmin'],
    ['a prototype-pollution field', `{"name":"${MARK}","__proto__":{"polluted":true}}`, '__proto__'],
    ['an unknown cloud', JSON.stringify({ name: MARK, cloud: 'mars' }), 'cloud'],
    ['a tenant with a path in it', JSON.stringify({ name: MARK, tenant: '../common' }), 'tenant'],
    ['a drive type of the wrong type', JSON.stringify({ name: MARK, driveType: ['business'] }), 'driveType'],
    ['a client id that is not a GUID', JSON.stringify({ name: MARK, clientId: 'x' }), 'clientId'],
  ];

  it.each(raw)('%s', async (_label, body, field) => {
    const before = (await callAuth(world, 'connectionsList')).body;
    expectRefused(await callAuth(world, 'connectionsCreate', { body }), field);
    expect((await callAuth(world, 'connectionsList')).body).toEqual(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('an update with a bad field leaves the stored connection exactly as it was', async () => {
    const id = await createConnection(world, { rootFolder: '/Keep' });
    const before = (await callAuth(world, 'connectionsGet', { params: { id } })).body;
    for (const [body, field] of [
      [{ rootFolder: '/Keep/../..' }, 'rootFolder'],
      [{ name: 7 }, 'name'],
      [{ owner: 'me' }, 'owner'],
    ] as const) {
      expectRefused(await callAuth(world, 'connectionsUpdate', { params: { id }, body }), field);
    }
    expect((await callAuth(world, 'connectionsGet', { params: { id } })).body).toEqual(before);
  });
});

describe('jobs API corpus: 400 naming the field, nothing stored', () => {
  const corpus: Array<[string, string, string]> = [
    ['malformed JSON', '{"name":', 'body'],
    ['a JSON array', JSON.stringify([validJob]), 'body'],
    ['JSON null', 'null', 'body'],
    ['name of the wrong type', JSON.stringify({ ...validJob, name: 1 }), 'name'],
    ['an oversize name (1 MiB)', JSON.stringify({ ...validJob, name: bigString(1 << 20) }), 'name'],
    ['a missing connection', JSON.stringify({ ...validJob, connectionId: undefined }), 'connectionId'],
    [
      'a connection that does not exist',
      JSON.stringify({ ...validJob, connectionId: 'conn-2' }),
      'connectionId',
    ],
    ['source as a string', JSON.stringify({ ...validJob, source: 'corpus-source' }), 'source'],
    [
      'a container with ../',
      JSON.stringify({ ...validJob, source: { container: '../other' } }),
      'source.container',
    ],
    [
      'a container in capitals',
      JSON.stringify({ ...validJob, source: { container: 'Corpus' } }),
      'source.container',
    ],
    [
      'a prefix of the wrong type',
      JSON.stringify({ ...validJob, source: { container: 'corpus-source', prefix: 5 } }),
      'source.prefix',
    ],
    [
      'an oversize prefix (100 KB)',
      JSON.stringify({ ...validJob, source: { container: 'corpus-source', prefix: bigString(100_000) } }),
      'source.prefix',
    ],
    [
      'a blob endpoint on http',
      JSON.stringify({
        ...validJob,
        source: { container: 'corpus-source', blobEndpoint: 'http://evil.example/' },
      }),
      'source.blobEndpoint',
    ],
    [
      'a blob endpoint that is not a URL',
      JSON.stringify({
        ...validJob,
        source: { container: 'corpus-source', blobEndpoint: 'file:///etc/passwd' },
      }),
      'source.blobEndpoint',
    ],
    [
      'a destination climbing out with ../',
      JSON.stringify({ ...validJob, destinationFolder: '../../Other' }),
      'destinationFolder',
    ],
    [
      'a destination with .. in the middle',
      JSON.stringify({ ...validJob, destinationFolder: 'Backups/../../../Other' }),
      'destinationFolder',
    ],
    [
      'a destination of only .',
      JSON.stringify({ ...validJob, destinationFolder: 'a/./b' }),
      'destinationFolder',
    ],
    [
      'a destination with a backslash',
      JSON.stringify({ ...validJob, destinationFolder: 'a\\..\\b' }),
      'destinationFolder',
    ],
    [
      'an oversize destination (5,000 characters)',
      JSON.stringify({ ...validJob, destinationFolder: bigString(5000) }),
      'destinationFolder',
    ],
    [
      'a destination of the wrong type',
      JSON.stringify({ ...validJob, destinationFolder: ['a'] }),
      'destinationFolder',
    ],
    ['a 5-field cron', JSON.stringify({ ...validJob, schedule: '0 2 * * *' }), 'schedule'],
    ['a cron with a 61st second', JSON.stringify({ ...validJob, schedule: '61 0 2 * * *' }), 'schedule'],
    ['a cron that is not a cron', JSON.stringify({ ...validJob, schedule: 'every night' }), 'schedule'],
    [
      'a cron injection attempt',
      JSON.stringify({ ...validJob, schedule: '0 0 2 * * *; rm -rf /' }),
      'schedule',
    ],
    [
      'a chunk size not a multiple of 320 KiB',
      JSON.stringify({ ...validJob, chunkSizeBytes: 1_000_000 }),
      'chunkSizeBytes',
    ],
    [
      'a chunk size of 60 MiB',
      JSON.stringify({ ...validJob, chunkSizeBytes: 60 * 1024 * 1024 }),
      'chunkSizeBytes',
    ],
    ['a chunk size of 0', JSON.stringify({ ...validJob, chunkSizeBytes: 0 }), 'chunkSizeBytes'],
    ['a negative chunk size', JSON.stringify({ ...validJob, chunkSizeBytes: -327680 }), 'chunkSizeBytes'],
    ['a chunk size as a string', JSON.stringify({ ...validJob, chunkSizeBytes: '327680' }), 'chunkSizeBytes'],
    ['a fractional chunk size', JSON.stringify({ ...validJob, chunkSizeBytes: 327680.5 }), 'chunkSizeBytes'],
    ['an unknown mode', JSON.stringify({ ...validJob, mode: 'sync' }), 'mode'],
    ['enabled as a string', JSON.stringify({ ...validJob, enabled: 'yes' }), 'enabled'],
    [
      'retention keepLast of 0',
      JSON.stringify({ ...validJob, mode: 'snapshot', retention: { keepLast: 0 } }),
      'retention.keepLast',
    ],
    ['an unknown field', JSON.stringify({ ...validJob, runAs: 'root' }), 'runAs'],
    ['a server-owned field (activeRunId)', JSON.stringify({ ...validJob, activeRunId: 'x' }), 'activeRunId'],
    [
      'a server-owned field (manifestSince)',
      JSON.stringify({ ...validJob, manifestSince: '2001-01-01T00:00:00Z' }),
      'manifestSince',
    ],
    [
      'a server-owned field (eventsSince)',
      JSON.stringify({ ...validJob, eventsSince: '2001-01-01T00:00:00Z' }),
      'eventsSince',
    ],
    [
      'a server-owned field (createdAt)',
      JSON.stringify({ ...validJob, createdAt: '2001-01-01T00:00:00Z' }),
      'createdAt',
    ],
    [
      'a server-owned field (updatedAt)',
      JSON.stringify({ ...validJob, updatedAt: '2001-01-01T00:00:00Z' }),
      'updatedAt',
    ],
    ['a server-owned field (id)', JSON.stringify({ ...validJob, id: 'another-job' }), 'id'],
    ['a prototype-pollution field', `{"name":"${MARK}","__proto__":{"polluted":true}}`, '__proto__'],
  ];

  it.each(corpus)('%s', async (_label, body, field) => {
    const before = await admin.backup.jobs.list();
    expectRefused(await jobsApi.create(admin, request(body)), field);
    expect(await admin.backup.jobs.list()).toEqual(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('an update with a bad field leaves the stored job exactly as it was', async () => {
    const created = await jobsApi.create(admin, request(JSON.stringify(validJob)));
    expect(created.status).toBe(201);
    const id = (created.body as { id: string }).id;
    const before = await admin.backup.jobs.getWithEtag(id);
    for (const [body, field] of [
      [{ destinationFolder: '../elsewhere' }, 'destinationFolder'],
      [{ chunkSizeBytes: 12345 }, 'chunkSizeBytes'],
      [{ schedule: '* * *' }, 'schedule'],
      [{ lastScheduledAt: '1970-01-01T00:00:00Z' }, 'lastScheduledAt'],
      // When the job last moved decides which manifest entries count as copied: the server's alone.
      [{ manifestSince: '2999-01-01T00:00:00Z' }, 'manifestSince'],
      [{ destinationFolder: 'Moved', manifestSince: '1970-01-01T00:00:00Z' }, 'manifestSince'],
      [{ eventsSince: '1970-01-01T00:00:00Z' }, 'eventsSince'],
      [{ activeRunId: 'forged-run' }, 'activeRunId'],
      [{ id: 'another-job' }, 'id'],
    ] as const) {
      expectRefused(await jobsApi.update(admin, id, request(JSON.stringify(body), 'PATCH')), field);
    }
    expect(await admin.backup.jobs.getWithEtag(id)).toEqual(before);
  });
});
