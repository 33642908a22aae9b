// The managed identity's storage token goes only to blob endpoints the operator chose: the
// configured cloud's `<account>.blob.<suffix>` over https, for an account in SOURCE_STORAGE_ACCOUNTS
// (Azurite's loopback address only in local mode). An admin-key holder naming another endpoint gets
// 400 naming the field when creating a job or a restore, and a job row or restore spec written
// earlier, bypassing the API, is refused by the worker before any token is asked for: a listener
// standing in for the attacker sees no connection and the credential is never called.
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { createServices, type Services } from '../../src/app/services';
import { jobsApi, type AdminDeps } from '../../src/backup/admin';
import type { BackupDeps } from '../../src/backup/deps';
import { buildAdminDeps, buildBackupDeps } from '../../src/backup/wiring';
import { loadConfig, type Config } from '../../src/config';
import type { AppError } from '../../src/errors';
import { errorResult } from '../../src/http/errors';
import type { HttpRequestLike, HttpResult } from '../../src/http/types';
import { setLogSink, type LogSink } from '../../src/log/logger';
import { restoreFromConnection, restoreJob, type RestoreApiDeps } from '../../src/restore/api';
import type { RestoreSpec } from '../../src/restore/messages';
import { buildRestoreApiDeps } from '../../src/restore/wiring';
import { blobEndpointPolicy, checkBlobEndpoint } from '../../src/sources/endpointPolicy';
import { validateJob, type Job } from '../../src/store/jobs';
import { azuriteConnectionString } from '../helpers/azurite';

const ALLOWED = 'goodacct';
let attacker: Server;
let attackerPort: number;
let connections = 0;
const tokenRequests: string[][] = [];
let previousSink: LogSink;

/** A credential that records every token request: a request is the token leaving. */
const spyCredential: TokenCredential = {
  getToken: async (scopes): Promise<AccessToken> => {
    tokenRequests.push([scopes].flat());
    return { token: 'managed-identity-storage-token-0001', expiresOnTimestamp: Date.now() + 3600_000 };
  },
};

function azureConfig(extra: Record<string, string> = {}): Config {
  return loadConfig({
    RUN_MODE: 'azure',
    AzureWebJobsStorage: azuriteConnectionString(),
    KEY_VAULT_URL: 'https://kv-blob-endpoints.vault.azure.net/',
    GRAPH_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
    PUBLIC_BASE_URL: 'https://app.example.net',
    SOURCE_STORAGE_ACCOUNTS: `${ALLOWED}, other2`,
    ...extra,
  });
}

function withSpyCredential(config: Config): Services {
  const services = createServices(config);
  return { ...services, credential: () => spyCredential };
}

let backup: BackupDeps;
let admin: AdminDeps;
let restoreApi: RestoreApiDeps;

beforeAll(async () => {
  previousSink = setLogSink(() => undefined);
  attacker = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  attackerPort = (attacker.address() as AddressInfo).port;
  const services = withSpyCredential(azureConfig());
  backup = await buildBackupDeps(services, {
    connections: { get: async () => undefined } as never,
    tokens: {} as never,
  });
  // The job API also lists one blob to see the source is readable; this machine reaches no real
  // account, so that listing answers empty here (the worker-side tests use the real source).
  const readableSource = (() => ({
    listPage: async () => ({ items: [] }),
  })) as unknown as BackupDeps['source'];
  admin = buildAdminDeps(
    { ...backup, source: readableSource },
    {
      connections: { get: async (id: string) => (id === 'conn-1' ? ({ id } as never) : undefined) } as never,
    },
    blobEndpointPolicy(services.config),
  );
  restoreApi = await buildRestoreApiDeps(services, {
    jobs: backup.jobs,
    runs: backup.runs,
    manifest: backup.manifest,
    destination: async () => ({ rootFolder: 'Backups', driveId: 'drive-1' }) as never,
  });
});

afterAll(async () => {
  setLogSink(previousSink);
  await new Promise((resolve) => attacker.close(resolve));
});

beforeEach(() => {
  connections = 0;
  tokenRequests.length = 0;
});

function request(body: unknown): HttpRequestLike {
  return {
    method: 'POST',
    url: 'https://app.example.net/api/jobs',
    params: {},
    query: new URLSearchParams(),
    headers: {},
    body: JSON.stringify(body),
  };
}

/** The restore routes throw typed errors; the host maps them as errorResult does. */
const answered = (pending: Promise<HttpResult>): Promise<HttpResult> =>
  pending.catch((error: unknown) => errorResult(error as AppError));

function expectRefused(result: HttpResult, field: string): void {
  expect(result.status).toBe(400);
  expect((result.body as { error: { field?: string } }).error.field).toBe(field);
}

const job = (blobEndpoint?: string) => ({
  name: 'endpoint attack',
  connectionId: 'conn-1',
  source: { container: 'source-data', ...(blobEndpoint ? { blobEndpoint } : {}) },
  destinationFolder: 'Backups/x',
  schedule: '0 0 2 * * *',
});

const hostile = (): Array<[string, string]> => [
  ['a host of the attacker', 'https://attacker.example/'],
  ['an unlisted account of the right cloud', 'https://evilacct.blob.core.windows.net'],
  ['a look-alike suffix', `https://${ALLOWED}.blob.core.windows.net.attacker.example/`],
  ['the listed account in another cloud', `https://${ALLOWED}.blob.core.usgovcloudapi.net/`],
  ['the listed account with a trailing dot', `https://${ALLOWED}.blob.core.windows.net./`],
  ['the listed account on another port', `https://${ALLOWED}.blob.core.windows.net:8443/`],
  ['the listed account with user info', `https://u:p@${ALLOWED}.blob.core.windows.net/`],
  ['the listed account with a path', `https://${ALLOWED}.blob.core.windows.net/devstoreaccount1`],
  ['the listed account as a queue endpoint', `https://${ALLOWED}.queue.core.windows.net/`],
  ['loopback over https (Azure mode)', 'https://127.0.0.1:10443/'],
  ['metadata address', 'https://169.254.169.254/'],
];

describe('creating a job or a restore', () => {
  it.each(hostile())('refuses %s as a job source with 400 on source.blobEndpoint', async (_l, endpoint) => {
    expectRefused(await jobsApi.create(admin, request(job(endpoint))), 'source.blobEndpoint');
  });

  it('refuses an update that points an existing job at another endpoint', async () => {
    const created = await jobsApi.create(admin, request(job(`https://${ALLOWED}.blob.core.windows.net/`)));
    expect(created.status).toBe(201);
    const id = (created.body as Job).id;
    const result = await jobsApi.update(admin, id, {
      ...request({
        source: { container: 'source-data', blobEndpoint: 'https://evilacct.blob.core.windows.net' },
      }),
      method: 'PATCH',
    });
    expectRefused(result, 'source.blobEndpoint');
    expect((await backup.jobs.require(id)).source.blobEndpoint).toBe(
      `https://${ALLOWED}.blob.core.windows.net`,
    );
  });

  it('accepts a listed account of the configured cloud, normalized', async () => {
    const created = await jobsApi.create(
      admin,
      request(job(`https://${ALLOWED.toUpperCase()}.blob.core.windows.net/`)),
    );
    expect(created.status).toBe(201);
    expect((created.body as Job).source.blobEndpoint).toBe(`https://${ALLOWED}.blob.core.windows.net`);
  });

  it.each(hostile())('refuses %s as a restore target with 400 on blobEndpoint', async (_l, endpoint) => {
    const body = { targetContainer: 'restored', blobEndpoint: endpoint };
    expectRefused(await answered(restoreFromConnection(restoreApi, 'conn-1', request(body))), 'blobEndpoint');
  });

  it('refuses to restore into a job source endpoint written before the check existed', async () => {
    const stored = planted('https://evilacct.blob.core.windows.net');
    await backup.jobs.create(stored);
    expectRefused(
      await answered(restoreJob(restoreApi, stored.id, request({ targetContainer: 'restored' }))),
      'blobEndpoint',
    );
  });
});

/** A job row as an earlier version (or anyone with table access) could have written it. */
function planted(blobEndpoint: string): Job {
  const base = validateJob(job(), undefined, `planted-${Math.random().toString(36).slice(2)}`, new Date());
  return { ...base, source: { ...base.source, blobEndpoint } };
}

describe('the worker, before any token leaves', () => {
  it.each([
    ['loopback over https', () => `https://127.0.0.1:${attackerPort}`],
    ['loopback over http', () => `http://127.0.0.1:${attackerPort}/devstoreaccount1`],
    ['an unlisted account', () => 'https://evilacct.blob.core.windows.net'],
  ])('a stored job naming %s lists nothing and asks for no token', async (_l, endpoint) => {
    const stored = planted(endpoint());
    await expect((async () => backup.source(stored).listPage(undefined, 10))()).rejects.toMatchObject({
      code: 'ValidationFailed',
    });
    expect(tokenRequests).toEqual([]);
    expect(connections).toBe(0);
  });

  it('a stored restore spec naming another endpoint writes nothing and asks for no token', async () => {
    const spec: RestoreSpec = {
      connectionId: 'conn-1',
      rootPath: 'Backups/x',
      blobEndpoint: `https://127.0.0.1:${attackerPort}`,
      targetContainer: 'restored',
      overwrite: 'overwrite',
    };
    await expect(restoreApi.restore.ensureContainer(spec)).rejects.toMatchObject({
      code: 'ValidationFailed',
    });
    expect(() => restoreApi.restore.target(spec, 'a.txt')).toThrow(/blobEndpoint/);
    expect(tokenRequests).toEqual([]);
    expect(connections).toBe(0);
  });
});

describe('the endpoint policy', () => {
  const local = blobEndpointPolicy(
    loadConfig({
      RUN_MODE: 'local',
      AzureWebJobsStorage: azuriteConnectionString(),
      KEY_VAULT_URL: 'https://127.0.0.1:8443/',
      GRAPH_CLIENT_ID: 'x',
    }),
  );

  it("uses each cloud's storage suffix", () => {
    for (const [cloud, host] of [
      ['global', 'acct.blob.core.windows.net'],
      ['usgov', 'acct.blob.core.usgovcloudapi.net'],
      ['usgov-dod', 'acct.blob.core.usgovcloudapi.net'],
      ['china', 'acct.blob.core.chinacloudapi.cn'],
    ]) {
      const policy = blobEndpointPolicy(azureConfig({ GRAPH_CLOUD: cloud, SOURCE_STORAGE_ACCOUNTS: 'acct' }));
      expect(checkBlobEndpoint(`https://${host}/`, policy, 'f')).toBe(`https://${host}`);
      expect(() => checkBlobEndpoint('https://acct.blob.core.windows.example/', policy, 'f')).toThrow();
    }
  });

  it('allows no account in Azure when SOURCE_STORAGE_ACCOUNTS is unset, and says which setting to fill', () => {
    const policy = blobEndpointPolicy(azureConfig({ SOURCE_STORAGE_ACCOUNTS: '' }));
    expect(() => checkBlobEndpoint('https://acct.blob.core.windows.net', policy, 'f')).toThrow(
      expect.objectContaining({ advice: expect.stringContaining('SOURCE_STORAGE_ACCOUNTS') }),
    );
  });

  it("allows Azurite's loopback address in local mode only", () => {
    expect(checkBlobEndpoint('http://127.0.0.1:10000/devstoreaccount1/', local, 'f')).toBe(
      'http://127.0.0.1:10000/devstoreaccount1',
    );
    expect(() =>
      checkBlobEndpoint('http://127.0.0.1:10000/devstoreaccount1', blobEndpointPolicy(azureConfig()), 'f'),
    ).toThrow();
    expect(() => checkBlobEndpoint('https://attacker.example/', local, 'f')).toThrow();
  });

  it('refuses a malformed SOURCE_STORAGE_ACCOUNTS at start, naming it', () => {
    expect(() => azureConfig({ SOURCE_STORAGE_ACCOUNTS: 'good,evil.example.com' })).toThrow(
      /SOURCE_STORAGE_ACCOUNTS/,
    );
  });
});
