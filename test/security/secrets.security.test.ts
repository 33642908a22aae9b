// Secrets stay where they belong: a callback writes a token only into the connection its state was
// issued for; every log line of a full flow (sign-in, backup, restore) through the local host is
// free of every secret, code and token value used; upload hosts are pinned per cloud; and the
// production dependencies have no high or critical advisory.
import { spawnSync } from 'node:child_process';
import { BlobServiceClient } from '@azure/storage-blob';
import { DEFAULT_CLIENT_SECRET } from '../../emulators/identity';
import { assertUploadUrl, hostAllowed, UPLOAD_HOSTS_BY_CLOUD } from '../../src/backup/upload/uploadUrl';
import { setLogSink, type LogSink } from '../../src/log/logger';
import { startLocalHost, type LocalHost } from '../../src/local/host';
import { refreshTokenSecretName } from '../../src/secrets/names';
import {
  callAuth,
  createConnection,
  signInRedirect,
  startAuthWorld,
  storedState,
  type AuthWorld,
} from '../corpus/authHarness';

const lines: string[] = [];
let previousSink: LogSink;

beforeAll(() => {
  previousSink = setLogSink((line) => lines.push(line));
});
afterAll(() => setLogSink(previousSink));

describe('a callback writes only into the connection its state was issued for', () => {
  let world: AuthWorld;
  beforeAll(async () => {
    world = await startAuthWorld();
  });
  afterAll(async () => world?.stop());

  it("A's state with B's code is refused (PKCE binds the code to its own sign-in) and neither changes", async () => {
    const a = await createConnection(world);
    const b = await createConnection(world);
    const qa = await signInRedirect(world, a);
    const qb = await signInRedirect(world, b);
    const [beforeA, beforeB] = [await storedState(world, a), await storedState(world, b)];
    const mixed = new URLSearchParams({ code: qb.get('code')!, state: qa.get('state')! });
    expect((await callAuth(world, 'authCallback', { query: mixed })).status).toBe(400);
    expect((await storedState(world, a)).refreshTokens).toEqual(beforeA.refreshTokens);
    expect((await storedState(world, b)).refreshTokens).toEqual(beforeB.refreshTokens);
    expect((await storedState(world, b)).connection).toEqual(beforeB.connection);
  });

  it("parameters naming another connection are ignored: the token lands in the state's connection only", async () => {
    const a = await createConnection(world);
    const b = await createConnection(world);
    const qa = await signInRedirect(world, a);
    const beforeB = await storedState(world, b);
    for (const name of ['connectionId', 'id', 'connection', 'client_id'] as const) qa.append(name, b);
    expect((await callAuth(world, 'authCallback', { query: qa })).status).toBe(200);
    expect((await storedState(world, a)).refreshTokens).toHaveLength(1);
    const afterB = await storedState(world, b);
    expect(afterB.refreshTokens).toEqual([]);
    expect(afterB.connection).toEqual(beforeB.connection);
  });
});

describe("upload URLs are pinned to the cloud's upload hosts", () => {
  it.each([
    ['https://contoso-my.sharepoint.com.evil.example/x/y', 'global'],
    ['https://evilsharepoint.com/x/y', 'global'],
    ['https://sharepoint.com@evil.example/x/y', 'global'],
    ['https://contoso.sharepoint.com:8443/x/y', 'global'],
    ['http://contoso.sharepoint.com/x/y', 'global'],
    ['https://contoso.sharepoint.com/x/y', 'usgov'],
    ['https://169.254.169.254/metadata', 'global'],
    ['https://[::1]/x/y', 'global'],
  ])('%s is refused for %s', (url, cloud) => {
    expect(() => assertUploadUrl(url, UPLOAD_HOSTS_BY_CLOUD[cloud])).toThrow(/not an upload host|not a URL/);
  });

  it('the local emulator pattern pins the port as well as the name', () => {
    expect(hostAllowed('127.0.0.1', ['127.0.0.1:4443'], '4443')).toBe(true);
    expect(hostAllowed('127.0.0.1', ['127.0.0.1:4443'], '4444')).toBe(false);
    expect(hostAllowed('contoso.sharepoint.com', UPLOAD_HOSTS_BY_CLOUD.global)).toBe(true);
  });
});

describe('logs of a full flow through the local host', () => {
  let host: LocalHost;
  const sensitive = new Set<string>([DEFAULT_CLIENT_SECRET]);

  beforeAll(async () => {
    host = await startLocalHost({
      env: { LOCAL_FUNCTION_KEY: 'log-scan-function-key-0000000001' },
      port: 0,
      embedded: true,
      queue: { retryDelayMs: 0, minPollingIntervalMs: 20, maxPollingIntervalMs: 200 },
    });
    sensitive.add(host.functionKey);
    const vaultToken = host.config.keyVaultTokenOverride;
    if (vaultToken) sensitive.add(vaultToken);
  }, 60_000);
  afterAll(async () => host?.stop());

  const api = async (method: string, route: string, body?: unknown) => {
    const response = await fetch(`${host.url}/api/${route}`, {
      method,
      headers: { 'x-functions-key': host.functionKey, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  /** The run record changes without telling us: poll it (bounded) until it is final. */
  const finished = async (runId: string): Promise<Record<string, unknown>> => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const run = (await api('GET', `runs/${runId}`)).body;
      if (['succeeded', 'partially-failed', 'failed'].includes(String(run.status))) return run;
      if (Date.now() > deadline) throw new Error(`run ${runId} still ${run.status}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  it('sign-in, backup and restore leave no secret, code or token value in any log line', async () => {
    const created = await api('POST', 'connections', {
      name: 'Log scan',
      tenant: 'consumers',
      rootFolder: '/LogScan',
    });
    const id = String(created.body.id);
    const start = await fetch(`${host.url}/api/connections/${id}/authorize`, {
      headers: { 'x-functions-key': host.functionKey },
      redirect: 'manual',
    });
    const signIn = await fetch(start.headers.get('location')!, { redirect: 'manual' });
    const back = new URL(signIn.headers.get('location')!);
    for (const v of [back.searchParams.get('code'), back.searchParams.get('state')]) if (v) sensitive.add(v);
    expect((await fetch(back, { redirect: 'manual' })).status).toBe(200);

    const job = await api('POST', 'jobs', {
      name: 'Log scan',
      connectionId: id,
      source: { container: host.demoContainer },
      destinationFolder: 'scan',
      schedule: '0 0 0 1 1 *',
    });
    expect(job.status).toBe(201);
    const run = await api('POST', `jobs/${job.body.id}/run`);
    expect((await finished(String(run.body.id))).status).toBe('succeeded');

    const target = `restored${Date.now().toString(36)}`;
    const restore = await api('POST', `jobs/${job.body.id}/restore`, {
      targetContainer: target,
      overwrite: 'overwrite',
    });
    expect(restore.status).toBe(202);
    const restoreRunId = String(restore.body.id ?? restore.body.runId);
    expect((await finished(restoreRunId)).status).toBe('succeeded');
    const restored: string[] = [];
    for await (const blob of BlobServiceClient.fromConnectionString(host.azurite!.connectionString)
      .getContainerClient(target)
      .listBlobsFlat())
      restored.push(blob.name);
    expect(restored.length).toBeGreaterThan(0);

    // Every token the flow used: the refresh tokens in Key Vault and the cached access token.
    for (const v of host.emulators!.keyVault.secret(refreshTokenSecretName(id))?.versions ?? [])
      sensitive.add(v.value);
    sensitive.add(await (await host.root.deps.auth()).tokens.getAccessToken(id));
    for (const v of host.emulators!.keyVault.secret(host.config.clientSecretName)?.versions ?? [])
      sensitive.add(v.value);

    expect(lines.length).toBeGreaterThan(20);
    const leaks = lines.filter((line) =>
      [...sensitive].some((value) => value.length >= 8 && line.includes(value)),
    );
    expect(leaks).toEqual([]);
    // Upload URLs are capabilities too: no log line carries one.
    expect(lines.filter((line) => /https:\/\/127\.0\.0\.1:\d+\/up/.test(line))).toEqual([]);
  }, 120_000);
});

// npm audit needs the registry's advisory endpoint (a POST). Where it is not served (this
// workplace's registry answers 405: read-only), the check is reported as skipped, never as a pass.
const audit = spawnSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8', timeout: 90_000 });
const auditUnavailable =
  /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|audit endpoint returned an error|405 Method Not Allowed/.test(
    `${audit.stdout ?? ''}${audit.stderr ?? ''}${audit.error?.message ?? ''}`,
  );
if (auditUnavailable)
  console.warn('npm audit skipped: the registry does not serve its advisory endpoint here.');

describe('npm audit', () => {
  (auditUnavailable ? it.skip : it)(
    'reports no high or critical vulnerability in production dependencies',
    () => {
      // npm audit exits non-zero when it finds anything; its JSON is on stdout either way.
      const report = JSON.parse(audit.stdout) as { metadata?: { vulnerabilities?: Record<string, number> } };
      const counts = report.metadata?.vulnerabilities ?? {};
      expect(report.metadata).toBeDefined();
      expect({ high: counts.high ?? 0, critical: counts.critical ?? 0 }).toEqual({ high: 0, critical: 0 });
    },
  );
});
