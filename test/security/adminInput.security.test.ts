// Admin input that used to slip through or be misreported, sent the way an attacker or a confused
// client would: ids with %2F (and other characters Table storage refuses) through the local host's
// real routing; destination folders, root folders and drive or site ids that climb (`..`), hide
// control characters or have names with spaces at their ends; schedules that fire every few
// seconds; the headers every JSON answer must carry; and a forged sign-in code (AADSTS9002313),
// whose page must say what happened rather than that the sign-in expired.
import { localAdmin } from '../helpers/blobEndpoints';
import { createAppRoot } from '../../src/app/root';
import type { HttpTrigger } from '../../src/app/types';
import { jobsApi, type AdminDeps } from '../../src/backup/admin';
import type { BackupDeps } from '../../src/backup/deps';
import { ManualClock } from '../../src/runtime/clock';
import { loadConfig } from '../../src/config';
import type { HttpRequestLike, HttpResult } from '../../src/http/types';
import { createLogger, setLogSink, type LogSink } from '../../src/log/logger';
import { startLocalHost, type LocalHost } from '../../src/local/host';
import { azuriteConnectionString } from '../helpers/azurite';
import { backupStores } from '../integration/backupHarness';
import {
  callAuth,
  createConnection,
  signInRedirect,
  startAuthWorld,
  type AuthWorld,
} from '../corpus/authHarness';

const KEY = 'admin-input-security-key-0123456789';
const env = () => ({
  AzureWebJobsStorage: azuriteConnectionString(),
  KEY_VAULT_URL: 'https://localhost:1/',
  GRAPH_CLIENT_ID: 'admin-input-security',
  LOCAL_FUNCTION_KEY: KEY,
});
const FUNCTIONS = createAppRoot({ config: () => loadConfig(env()) }).functions;

let host: LocalHost;
let world: AuthWorld;
let admin: AdminDeps;
let previousSink: LogSink;
beforeAll(async () => {
  previousSink = setLogSink(() => undefined);
  host = await startLocalHost({
    functions: (app) => app.filter((f) => f.trigger.type === 'http'),
    port: 0,
    embedded: false,
    env: env(),
  });
  world = await startAuthWorld();
  const clock = new ManualClock(Date.UTC(2026, 5, 1));
  const backup = {
    ...backupStores(() => new Date(clock.now())),
    send: async () => undefined,
    settings: {},
    source: () => ({ listPage: async () => ({ items: [] }) }),
    clock,
    log: createLogger({ test: 'admin-input' }),
  } as unknown as BackupDeps;
  admin = localAdmin(backup);
}, 60_000);

afterAll(async () => {
  await host?.stop();
  await world?.stop();
  setLogSink(previousSink);
});

const idRoutes = FUNCTIONS.flatMap((f) => {
  const t = f.trigger as HttpTrigger;
  if (t.type !== 'http' || !/\{(id|siteId)\}/.test(t.route)) return [];
  return t.methods.map((method) => [`${method} /api/${t.route}`, method, t.route] as const);
});

describe('ids holding characters no id has answer 400 or 404, never a storage outage', () => {
  it('covers the routes that take an id', () => expect(idRoutes.length).toBeGreaterThan(15));

  it.each(idRoutes)('%s', async (_label, method, route) => {
    for (const id of ['a%2Fb', '%2F', 'a%5Cb', 'a%23b', 'a%3Fb', 'a%01b']) {
      const path = route.replace(/\{(\w+)(:[^}]*)?\??\}/g, id);
      const response = await fetch(`${host.url}/api/${path}`, {
        method,
        headers: { 'x-functions-key': KEY, 'content-type': 'application/json' },
        body: method === 'GET' || method === 'DELETE' ? undefined : '{}',
      });
      // JSON for the API; the authorize route answers the browser with a page.
      const text = await response.text();
      const code = response.headers.get('content-type')?.startsWith('application/json')
        ? (JSON.parse(text) as { error?: { code?: string } }).error?.code
        : 'NotFound';
      expect({ id, status: response.status, code }).toEqual({
        id,
        status: expect.any(Number),
        code: expect.stringMatching(/^(NotFound|ValidationFailed)$/),
      });
      expect([400, 404]).toContain(response.status);
    }
  });
});

describe('every JSON answer is uncacheable and not sniffable', () => {
  it.each([
    ['the health probe', '/api/health', {}],
    ['a list of jobs', '/api/jobs', { 'x-functions-key': KEY }],
    ['a job that does not exist', '/api/jobs/nope', { 'x-functions-key': KEY }],
    ['a run that does not exist', '/api/runs/nope', { 'x-functions-key': KEY }],
    ['a request without the key', '/api/jobs', {}],
    ['a route nobody serves', '/api/nothing-here', { 'x-functions-key': KEY }],
  ])('%s', async (_label, path, headers) => {
    const response = await fetch(`${host.url}${path}`, { headers });
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

function post(body: unknown): HttpRequestLike {
  return {
    method: 'POST',
    url: 'http://localhost/api/jobs',
    params: {},
    query: new URLSearchParams(),
    headers: {},
    body: JSON.stringify(body),
  };
}

function refusal(result: HttpResult, field: string): string {
  expect(result.status).toBe(400);
  const error = (result.body as { error: { code: string; field?: string; message: string } }).error;
  expect(error).toMatchObject({ code: 'ValidationFailed', field });
  return error.message;
}

const job = {
  name: 'admin-input',
  connectionId: 'conn-1',
  source: { container: 'admin-input' },
  destinationFolder: 'Backups/db',
  schedule: '0 0 2 * * *',
};

describe('jobs: destination folders and schedules that would misbehave are refused by name', () => {
  it.each([
    ['a control character', 'Backups/a\u0000b', /control characters/],
    ['a newline', 'Backups/a\nb', /control characters/],
    ['a name starting with a space', 'Backups/ db', /starting or ending with a space/],
    ['a name ending with a space', 'Backups /db', /starting or ending with a space/],
    ['a .. segment', 'Backups/../../Other', /\. or \.\. segments/],
  ])('a destination with %s', async (_label, destinationFolder, rule) => {
    const before = await admin.backup.jobs.list();
    expect(
      refusal(await jobsApi.create(admin, post({ ...job, destinationFolder })), 'destinationFolder'),
    ).toMatch(rule);
    expect(await admin.backup.jobs.list()).toEqual(before);
  });

  it.each([
    ['every five seconds', '*/5 * * * * *'],
    ['every second', '* * * * * *'],
    ['twice a minute', '0,30 * * * * *'],
    ['a range of seconds', '0-10 */5 * * * *'],
  ])('a schedule firing %s', async (_label, schedule) => {
    const before = await admin.backup.jobs.list();
    const message = refusal(await jobsApi.create(admin, post({ ...job, schedule })), 'schedule');
    expect(message).toMatch(/more than once a minute: the first of the 6 fields is the second/);
    expect(message).toContain('"0 */5 * * * *"');
    expect(await admin.backup.jobs.list()).toEqual(before);
  });

  it('once a minute, and names with inner spaces, are still accepted', async () => {
    const created = await jobsApi.create(
      admin,
      post({ ...job, schedule: '0 * * * * *', destinationFolder: 'Backups/my db' }),
    );
    expect(created.status).toBe(201);
  });
});

describe('connections: drive ids, site ids and root folders that climb or hide characters are refused', () => {
  it.each([
    ['a drive id of ..', { driveId: '..' }, 'driveId'],
    ['a drive id climbing to /me', { driveId: '../me' }, 'driveId'],
    ['a drive id with .. inside', { driveId: 'b!abc..def' }, 'driveId'],
    ['a drive id with a slash', { driveId: 'b!abc/children' }, 'driveId'],
    ['a drive id with a control character', { driveId: 'b!abc\u0007' }, 'driveId'],
    ['a drive id with a leading space', { driveId: ' b!abc' }, 'driveId'],
    ['a site id climbing', { siteId: 'contoso.sharepoint.com,../..' }, 'siteId'],
    ['a root folder with a control character', { rootFolder: '/Backups/a\u0001' }, 'rootFolder'],
    ['a root folder name ending with a space', { rootFolder: '/Backups /db' }, 'rootFolder'],
  ])('%s', async (_label, fields, field) => {
    const before = (await callAuth(world, 'connectionsList')).body;
    const result = await callAuth(world, 'connectionsCreate', {
      body: { name: 'admin-input', tenant: 'consumers', ...fields },
    });
    expect(result.status).toBe(400);
    expect((result.body as { error: { field?: string } }).error.field).toBe(field);
    expect((await callAuth(world, 'connectionsList')).body).toEqual(before);
  });
});

describe('a forged sign-in code (AADSTS9002313) is explained as what it is', () => {
  it('the callback page says Microsoft refused the code as invalid, not that the sign-in expired', async () => {
    const id = await createConnection(world);
    const genuine = await signInRedirect(world, id);
    const forged = new URLSearchParams({ state: genuine.get('state')!, code: 'not-a-code-microsoft-issued' });
    const page = await callAuth(world, 'authCallback', { query: forged });
    expect(page.status).toBe(400);
    const html = String(page.body);
    expect(html).toContain('AADSTS9002313');
    expect(html).toMatch(/refused the sign-in as invalid/);
    expect(html).toMatch(/malformed or invalid/);
    expect(html).not.toMatch(/has expired/);
  });
});
