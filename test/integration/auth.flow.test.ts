// The sign-in flow, tokens and connections against the identity, Graph and Key Vault emulators and
// Azurite, through the real HTTP handlers of the function table.
import { invokeHttp } from '../../src/app/invoke';
import { createServices } from '../../src/app/services';
import type { FunctionDefinition, HttpTrigger } from '../../src/app/types';
import type { AuthDeps } from '../../src/auth/deps';
import { createAuthFunctions } from '../../src/auth/functions';
import { HttpTokenClient, type TokenClient } from '../../src/auth/tokenClient';
import { buildAuthDeps } from '../../src/auth/wiring';
import { loadConfig } from '../../src/config';
import type { HttpRequestLike, HttpResult } from '../../src/http/types';
import { createLogger, setLogSink, type LogSink } from '../../src/log/logger';
import { refreshTokenSecretName } from '../../src/secrets/names';
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  DEFAULT_CLIENT_SECRET_ID,
  DEFAULT_REDIRECT_URI,
  DEFAULT_WORK_TENANT_ID,
  DEFAULT_WORK_USER,
  IdentityEmulator,
} from '../../emulators/identity';
import { GraphEmulator } from '../../emulators/graph';
import { KeyVaultEmulator } from '../../emulators/keyvault';
import { azuriteConnectionString, uniqueName } from '../helpers/azurite';

const KV_TOKEN = 'kv-static-token-for-emulator-0001';
const logLines: string[] = [];
/** Every secret, code and token value the suite handled: none may appear in any log line. */
const sensitive = new Set<string>([DEFAULT_CLIENT_SECRET, KV_TOKEN]);
let previousSink: LogSink;

let identity: IdentityEmulator;
let graph: GraphEmulator;
let vault: KeyVaultEmulator;
let deps: AuthDeps;
let functions: FunctionDefinition[];
let clock = Date.now();
const sentRefreshTokens: string[] = [];

/** Records which refresh token each refresh sends (to prove the rotated one is used). */
function recordingClient(inner: TokenClient): TokenClient {
  return {
    redeemCode: (url, client, request) => inner.redeemCode(url, client, request),
    refresh: (url, client, request) => {
      sentRefreshTokens.push(request.refreshToken);
      return inner.refresh(url, client, request);
    },
    clientCredentials: (url, client, request) => inner.clientCredentials(url, client, request),
  };
}

beforeAll(async () => {
  previousSink = setLogSink((line) => logLines.push(line));
  identity = await new IdentityEmulator().start();
  graph = await new GraphEmulator({ authorize: identity.introspect }).start();
  vault = await new KeyVaultEmulator().start();
  const config = loadConfig({
    RUN_MODE: 'local',
    AzureWebJobsStorage: azuriteConnectionString(),
    KEY_VAULT_URL: vault.vaultUrl,
    KEY_VAULT_TOKEN_OVERRIDE: KV_TOKEN,
    GRAPH_CLIENT_ID: DEFAULT_CLIENT_ID,
    LOGIN_ENDPOINT_OVERRIDE: identity.baseUrl,
    GRAPH_ENDPOINT_OVERRIDE: graph.baseUrl,
    AUTH_REDIRECT_URI: DEFAULT_REDIRECT_URI,
  });
  const services = createServices(config, createLogger());
  deps = await buildAuthDeps(services, {
    connectionsTable: uniqueName('conns'),
    statesTable: uniqueName('states'),
    tokenClient: recordingClient(new HttpTokenClient()),
    now: () => new Date(clock),
    sleep: async () => undefined,
  });
  await deps.secrets.setSecret(config.clientSecretName, DEFAULT_CLIENT_SECRET);
  functions = createAuthFunctions(async () => deps);
});

afterAll(async () => {
  setLogSink(previousSink);
  await Promise.all([identity?.stop(), graph?.stop(), vault?.stop()]);
});

async function call(
  name: string,
  request: { params?: Record<string, string>; query?: URLSearchParams | string; body?: unknown } = {},
): Promise<HttpResult> {
  const fn = functions.find((f) => f.name === name);
  if (!fn || fn.trigger.type !== 'http') throw new Error(`no http function ${name}`);
  const trigger = fn.trigger as HttpTrigger;
  const query = new URLSearchParams(request.query ?? '');
  const req: HttpRequestLike = {
    method: trigger.methods[0],
    url: `http://localhost:7071/api/${trigger.route}?${query}`,
    params: request.params ?? {},
    query,
    headers: {},
    body: request.body === undefined ? '' : JSON.stringify(request.body),
  };
  return invokeHttp(fn, req, { invocationId: 'test', functionName: name, log: createLogger({ fn: name }) });
}

async function createConnection(body: Record<string, unknown>): Promise<string> {
  const result = await call('connectionsCreate', { body: { name: 'Test', ...body } });
  expect(result.status).toBe(201);
  return (result.body as { id: string }).id;
}

/** authorize → the emulator's sign-in (auto consent) → the redirect's query, as a browser would follow it. */
async function signInRedirect(connectionId: string): Promise<URLSearchParams> {
  const start = await call('authStart', { params: { id: connectionId } });
  expect(start.status).toBe(302);
  const response = await fetch(start.headers!.location, { redirect: 'manual' });
  expect(response.status).toBe(302);
  const back = new URL(response.headers.get('location')!);
  expect(back.origin + back.pathname).toBe(DEFAULT_REDIRECT_URI);
  for (const value of [back.searchParams.get('code'), back.searchParams.get('state')])
    if (value) sensitive.add(value);
  return back.searchParams;
}

async function authorize(connectionId: string): Promise<HttpResult> {
  return call('authCallback', { query: await signInRedirect(connectionId) });
}

function remember(values: Array<string | undefined>): void {
  for (const v of values) if (v) sensitive.add(v);
}

function vaultValues(name: string): string[] {
  return vault.secret(name)?.versions.map((v) => v.value) ?? [];
}

describe('authorize, consent, callback', () => {
  it('authorizes a connection through HTTP and keeps the refresh token in Key Vault', async () => {
    const id = await createConnection({ tenant: 'consumers', rootFolder: '/Backups/db' });
    const page = await authorize(id);
    expect(page.status).toBe(200);
    expect(page.headers?.['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('Connected');
    expect(page.body).toContain('Pat Personal');
    expect(page.body).toContain('/Backups/db');
    const connection = (await call('connectionsGet', { params: { id } })).body as Record<string, unknown>;
    expect(connection).toMatchObject({
      status: 'authorized',
      accountUpn: 'pat.personal@outlook.com',
      driveType: 'personal',
    });
    expect(connection.driveId).toEqual(expect.any(String));
    const tokens = vaultValues(refreshTokenSecretName(id));
    expect(tokens).toHaveLength(1);
    remember(tokens);
    expect(JSON.stringify(connection)).not.toContain(tokens[0]);
  });

  it('stores each rotated refresh token as a new Key Vault version and uses it next', async () => {
    const id = await createConnection({ tenant: 'consumers' });
    await authorize(id);
    const name = refreshTokenSecretName(id);
    sentRefreshTokens.length = 0;
    remember([await deps.tokens.getAccessToken(id, { forceRefresh: true })]);
    remember([await deps.tokens.getAccessToken(id, { forceRefresh: true })]);
    const versions = vaultValues(name);
    remember(versions);
    expect(versions).toHaveLength(3);
    expect(new Set(versions).size).toBe(3);
    expect(sentRefreshTokens).toEqual([versions[0], versions[1]]);
  });

  it('asks for consent again with the known account when re-authorizing', async () => {
    const id = await createConnection({ tenant: 'consumers' });
    await authorize(id);
    const start = await call('authStart', { params: { id } });
    const url = new URL(start.headers!.location);
    expect(url.searchParams.get('prompt')).toBe('consent');
    expect(url.searchParams.get('login_hint')).toBe('pat.personal@outlook.com');
  });
});

describe('state checks', () => {
  async function snapshot(id: string) {
    const connection = (await call('connectionsGet', { params: { id } })).body;
    return {
      connection,
      secrets: vaultValues(refreshTokenSecretName(id)).length,
      tokens: identity.tokenRequests(),
    };
  }

  it.each([
    [
      'missing',
      (q: URLSearchParams) => q.delete('state'),
      /without the “state” value|without the &ldquo;state|opened without a sign-in/,
    ],
    [
      'forged',
      (q: URLSearchParams) => q.set('state', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'),
      /not started here/,
    ],
  ])('refuses a %s state with 400 and a helpful page, changing nothing', async (_label, tamper, text) => {
    const id = await createConnection({ tenant: 'consumers' });
    const query = await signInRedirect(id);
    const before = await snapshot(id);
    tamper(query);
    const page = await call('authCallback', { query });
    expect(page.status).toBe(400);
    expect(page.body).toMatch(text);
    expect(await snapshot(id)).toEqual(before);
  });

  it('refuses a replayed callback and leaves the first result alone', async () => {
    const id = await createConnection({ tenant: 'consumers' });
    const query = await signInRedirect(id);
    expect((await call('authCallback', { query })).status).toBe(200);
    const before = await snapshot(id);
    const replay = await call('authCallback', { query });
    expect(replay.status).toBe(400);
    expect(replay.body).toContain('already used');
    expect(await snapshot(id)).toEqual(before);
  });

  it('lets only one of two racing callbacks with the same state through', async () => {
    const id = await createConnection({ tenant: 'consumers' });
    const query = await signInRedirect(id);
    const results = await Promise.all([call('authCallback', { query }), call('authCallback', { query })]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 400]);
  });

  it('refuses a state older than 10 minutes', async () => {
    const id = await createConnection({ tenant: 'consumers' });
    const query = await signInRedirect(id);
    const before = await snapshot(id);
    clock += 10 * 60 * 1000 + 1;
    try {
      const page = await call('authCallback', { query });
      expect(page.status).toBe(400);
      expect(page.body).toContain('took too long');
    } finally {
      clock -= 10 * 60 * 1000 + 1;
    }
    expect(await snapshot(id)).toEqual(before);
  });
});

describe('sign-in errors explained', () => {
  it.each([
    ['access_denied', () => identity.failNextAuthorize({ error: 'access_denied' }), 'Sign-in was cancelled'],
    [
      'consent_required',
      () => identity.failNextAuthorize({ error: 'consent_required' }),
      'Grant admin consent',
    ],
    [
      '65001 admin consent',
      () => identity.failNextAuthorize({ error: 'invalid_client', aadsts: 65001 }),
      'Grant admin consent',
    ],
    [
      '50076 MFA',
      () => identity.failNextAuthorize({ error: 'interaction_required', aadsts: 50076 }),
      'multi-factor',
    ],
    [
      '53003 Conditional Access',
      () => identity.failNextAuthorize({ error: 'access_denied', aadsts: 53003 }),
      'Conditional Access',
    ],
    [
      '9002331 account type',
      () => identity.failNextAuthorize({ error: 'invalid_request', aadsts: 9002331 }),
      'Supported account types',
    ],
    [
      '9002332 account type',
      () => identity.failNextAuthorize({ error: 'invalid_request', aadsts: 9002332 }),
      'Supported account types',
    ],
    ['700025 public client', () => identity.failNextToken(700025), 'Allow public client flows'],
    ['50011 redirect URI', () => identity.failNextToken(50011), DEFAULT_REDIRECT_URI],
    ['7000215 Secret ID', () => identity.failNextToken(7000215), 'not the Secret ID'],
    ['7000222 expired secret', () => identity.failNextToken(7000222), 'has expired'],
  ])('%s', async (_label, arrange, advice) => {
    const id = await createConnection({ tenant: 'consumers' });
    arrange();
    const page = await authorize(id);
    expect(page.status).toBe(400);
    expect(page.body).toContain(advice.replace(/&/g, '&amp;'));
    expect((await call('connectionsGet', { params: { id } })).body).toMatchObject({ status: 'new' });
    expect(vault.secret(refreshTokenSecretName(id))).toBeUndefined();
  });

  it('explains a Secret ID stored instead of the Value', async () => {
    await deps.secrets.setSecret(deps.app.clientSecretName, DEFAULT_CLIENT_SECRET_ID);
    try {
      const id = await createConnection({ tenant: 'consumers' });
      const page = await authorize(id);
      expect(page.status).toBe(400);
      expect(page.body).toContain('AADSTS7000215');
      expect(page.body).not.toContain(DEFAULT_CLIENT_SECRET_ID);
    } finally {
      await deps.secrets.setSecret(deps.app.clientSecretName, DEFAULT_CLIENT_SECRET);
    }
  });

  it('escapes what it shows', async () => {
    const id = await createConnection({ tenant: 'consumers', name: '<script>alert(1)</script>' });
    const page = await authorize(id);
    expect(page.body).not.toContain('<script>alert(1)');
    expect(page.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});

describe('token service against the identity platform', () => {
  it('marks a revoked sign-in reauth-required without a retry storm', async () => {
    const id = await createConnection({ tenant: 'consumers' });
    await authorize(id);
    identity.revokeRefreshTokens();
    const before = identity.tokenRequests('refresh_token');
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => deps.tokens.getAccessToken(id, { forceRefresh: true })),
    );
    for (let i = 0; i < 10; i++)
      await deps.tokens.getAccessToken(id, { forceRefresh: true }).catch(() => undefined);
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(identity.tokenRequests('refresh_token') - before).toBe(1);
    const connection = (await call('connectionsGet', { params: { id } })).body as Record<string, string>;
    expect(connection.status).toBe('reauth-required');
    expect(connection.advice).toMatch(/Authorize again/);
    // Authorizing again heals it.
    expect((await authorize(id)).status).toBe(200);
    expect((await call('connectionsGet', { params: { id } })).body).toMatchObject({ status: 'authorized' });
  });

  it('refreshes once for ten concurrent callers', async () => {
    const id = await createConnection({ tenant: 'consumers' });
    await authorize(id);
    deps.tokens.invalidate(id);
    const before = identity.tokenRequests('refresh_token');
    const tokens = await Promise.all(Array.from({ length: 10 }, () => deps.tokens.getAccessToken(id)));
    remember(tokens);
    remember(vaultValues(refreshTokenSecretName(id)));
    expect(new Set(tokens).size).toBe(1);
    expect(identity.tokenRequests('refresh_token') - before).toBe(1);
  });
});

describe('national clouds', () => {
  it.each([
    ['global', 'consumers', 'https://login.microsoftonline.com'],
    ['usgov', 'organizations', 'https://login.microsoftonline.us'],
    ['usgov-dod', 'organizations', 'https://login.microsoftonline.us'],
    ['china', 'organizations', 'https://login.chinacloudapi.cn'],
  ])('%s sends the browser to its own login host', async (cloud, tenant, origin) => {
    const id = await createConnection({ cloud, tenant });
    const real = createAuthFunctions(async () => ({ ...deps, overrides: {} }));
    const result = await invokeHttp(
      real.find((f) => f.name === 'authStart')!,
      { method: 'GET', url: '', params: { id }, query: new URLSearchParams(), headers: {}, body: '' },
      { invocationId: 't', functionName: 'authStart', log: createLogger() },
    );
    const url = new URL(result.headers!.location);
    expect(url.origin).toBe(origin);
    expect(url.pathname).toBe(`/${tenant}/oauth2/v2.0/authorize`);
  });
});

describe('connections API', () => {
  it.each([
    [{ name: '' }, 'name'],
    [{ name: 'x', cloud: 'mars' }, 'cloud'],
    [{ name: 'x', tenant: 'not a tenant' }, 'tenant'],
    [{ name: 'x', cloud: 'china', tenant: 'consumers' }, 'tenant'],
    [{ name: 'x', driveType: 'floppy' }, 'driveType'],
    [{ name: 'x', rootFolder: 'relative/path' }, 'rootFolder'],
    [{ name: 'x', clientId: 'not-a-guid' }, 'clientId'],
    [{ name: 'x', clientId: '22222222-2222-2222-2222-222222222222' }, 'clientSecret'],
    [{ name: 'x', colour: 'blue' }, 'colour'],
  ])('refuses %j with 400 naming %s', async (body, field) => {
    const result = await call('connectionsCreate', { body });
    expect(result.status).toBe(400);
    expect((result.body as { error: { field: string; message: string } }).error.field).toBe(field);
  });

  it('keeps an own app secret in Key Vault only, and deletes every secret with the connection', async () => {
    const secret = 'own-app-secret-value-123456';
    sensitive.add(secret);
    const id = await createConnection({
      tenant: 'consumers',
      clientId: DEFAULT_CLIENT_ID,
      clientSecret: DEFAULT_CLIENT_SECRET,
    });
    const created = await call('connectionsGet', { params: { id } });
    expect(JSON.stringify(created.body)).not.toContain(DEFAULT_CLIENT_SECRET);
    expect((await authorize(id)).status).toBe(200);
    const patched = await call('connectionsUpdate', {
      params: { id },
      body: { name: 'Renamed', clientSecret: secret },
    });
    expect(patched.status).toBe(200);
    expect(JSON.stringify(patched.body)).not.toContain(secret);
    expect(vaultValues(`conn-${id}-client-secret`)).toEqual([DEFAULT_CLIENT_SECRET, secret]);
    const list = await call('connectionsList');
    expect(JSON.stringify(list.body)).toContain('Renamed');
    expect((await call('connectionsDelete', { params: { id } })).status).toBe(204);
    expect(vault.secret(refreshTokenSecretName(id))?.deleted).toBeTruthy();
    expect(vault.secret(`conn-${id}-client-secret`)?.deleted).toBeTruthy();
    expect((await call('connectionsGet', { params: { id } })).status).toBe(404);
  });
});

describe('drives, folders and the connection test', () => {
  it('tests a delegated connection step by step and browses its folders', async () => {
    const id = await createConnection({ tenant: 'consumers', rootFolder: '/Backups/nightly' });
    await authorize(id);
    const report = await call('connectionTest', { params: { id } });
    expect(report.body).toMatchObject({
      ok: true,
      steps: [
        { step: 'token', ok: true },
        { step: 'drive', ok: true },
        { step: 'folder', ok: true, detail: 'Created /Backups/nightly' },
        { step: 'probe', ok: true },
      ],
      folder: { path: '/Backups/nightly', webUrl: expect.stringMatching(/^https:\/\//) },
    });
    const folders = await call('connectionFolders', { params: { id }, query: 'path=/Backups' });
    expect(folders.body).toMatchObject({ folders: [{ name: 'nightly', path: '/Backups/nightly' }] });
    const created = await call('connectionFolderCreate', {
      params: { id },
      body: { parent: '/Backups', name: 'weekly' },
    });
    expect(created.status).toBe(201);
    const again = await call('connectionFolderCreate', {
      params: { id },
      body: { parent: '/Backups', name: 'weekly' },
    });
    expect(again.status).toBe(409);
    const drives = await call('connectionDrives', { params: { id } });
    expect((drives.body as { drives: Array<{ driveType: string }> }).drives[0].driveType).toBe('personal');
  });

  it('runs an app-only connection with no refresh token, and explains missing admin consent', async () => {
    graph.addUser({
      id: DEFAULT_WORK_USER.oid,
      userPrincipalName: DEFAULT_WORK_USER.upn,
      displayName: DEFAULT_WORK_USER.displayName,
    });
    const id = await createConnection({
      authMode: 'app-only',
      tenant: DEFAULT_WORK_TENANT_ID,
      driveType: 'business',
      targetUser: DEFAULT_WORK_USER.upn,
      rootFolder: '/AppBackups',
    });
    const refused = await call('connectionTest', { params: { id } });
    expect(refused.body).toMatchObject({
      ok: false,
      steps: [{ step: 'token', ok: false }, { skipped: true }, { skipped: true }, { skipped: true }],
    });
    expect(JSON.stringify(refused.body)).toMatch(/admin consent/i);

    identity.grantAdminConsent(DEFAULT_CLIENT_ID, DEFAULT_WORK_TENANT_ID);
    const report = await call('connectionTest', { params: { id } });
    expect(report.body).toMatchObject({ ok: true });
    const driveId = graph.driveIdOf(DEFAULT_WORK_USER.upn);
    expect(graph.listFiles(driveId)).toEqual([]);
    expect((await call('connectionFolders', { params: { id }, query: 'path=/' })).body).toMatchObject({
      folders: [{ name: 'AppBackups' }],
    });
    expect(vault.secret(refreshTokenSecretName(id))).toBeUndefined();
    expect((await call('connectionsGet', { params: { id } })).body).toMatchObject({ status: 'authorized' });
  });
});

describe('logs', () => {
  it('never contain a secret, code or token value used in this suite', () => {
    for (const name of ['graph-client-secret']) for (const v of vaultValues(name)) sensitive.add(v);
    expect(logLines.length).toBeGreaterThan(20);
    const leaks = logLines.filter((line) =>
      [...sensitive].some((value) => value.length >= 8 && line.includes(value)),
    );
    expect(leaks).toEqual([]);
  });
});
