// Credentials that cannot leak, end to end: the callback and the token service against the identity,
// Graph and Key Vault emulators and Azurite, with CLIENT_CREDENTIAL=certificate (the assertion signed
// by the Key Vault emulator's sign operation, POST /keys/{name}/{version}/sign) and
// CLIENT_CREDENTIAL=federated (the managed identity's token as the assertion). Formats: Microsoft's
// "certificate credentials" page (https://learn.microsoft.com/entra/identity-platform/certificate-credentials)
// and "Configure an application to trust a managed identity"
// (https://learn.microsoft.com/entra/workload-id/workload-identity-federation-config-app-trust-managed-identity).
import { createHash, X509Certificate } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { getClientCertificate } from '../../src/alerts/credentialApi';
import { invokeHttp } from '../../src/app/invoke';
import { createServices } from '../../src/app/services';
import type { FunctionDefinition, HttpTrigger } from '../../src/app/types';
import type { AlertDeps } from '../../src/alerts/deps';
import { MemoryAlertStateStore } from '../../src/alerts/alertState';
import type { Alert } from '../../src/alerts/messages';
import { evaluateCredential } from '../../src/alerts/credentialCheck';
import type { AuthDeps } from '../../src/auth/deps';
import { createAuthFunctions } from '../../src/auth/functions';
import type { TokenAlert } from '../../src/auth/tokenService';
import { HttpTokenClient, type ClientCredentials, type TokenClient } from '../../src/auth/tokenClient';
import { buildAuthDeps, reportRotationAlert, reportTokenAlert } from '../../src/auth/wiring';
import type { CertificateRotationAlert } from '../../src/auth/credentials';
import { loadConfig } from '../../src/config';
import type { HttpRequestLike, HttpResult } from '../../src/http/types';
import { createLogger, setLogSink, type LogSink } from '../../src/log/logger';
import { StaticTokenCredential } from '../../src/secrets/credential';
import { KeyVaultCertificateStore } from '../../src/secrets/certificateStore';
import { MemoryCredentialHealthStore } from '../../src/store/credentialHealth';
import { DEFAULT_CLIENT_ID, DEFAULT_REDIRECT_URI, DEFAULT_WORK_TENANT_ID } from '../../emulators/identity';
import { startEmulators, type Emulators } from '../../emulators';
import { azuriteConnectionString, uniqueName } from '../helpers/azurite';

const CERT = 'app-client-cert';
const logLines: string[] = [];
let previousSink: LogSink;
let emu: Emulators;
const sentAssertions: string[] = [];
const tokenAlerts: TokenAlert[] = [];
const rotationAlerts: CertificateRotationAlert[] = [];
const notified: Alert[] = [];

/** The parts of the alert area the token alerts go through: a dedupe table and a notifier. */
function alertSink(): AlertDeps {
  return {
    state: new MemoryAlertStateStore(),
    notifier: { notify: async (alert: Alert) => void notified.push(alert) },
    now: () => new Date(),
  } as unknown as AlertDeps;
}

function decodeJwt(jwt: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [header, payload] = jwt
    .split('.')
    .slice(0, 2)
    .map((p) => JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>);
  return { header, payload };
}

/** Records every assertion sent (to inspect it and to prove none reaches a log line). */
function recordingClient(inner: TokenClient): TokenClient {
  const record = (client: ClientCredentials) => {
    if (client.clientAssertion) sentAssertions.push(client.clientAssertion);
  };
  return {
    redeemCode: (url, client, request) => (record(client), inner.redeemCode(url, client, request)),
    refresh: (url, client, request) => (record(client), inner.refresh(url, client, request)),
    clientCredentials: (url, client, request) => (
      record(client),
      inner.clientCredentials(url, client, request)
    ),
  };
}

interface Setup {
  deps: AuthDeps;
  functions: FunctionDefinition[];
  health: MemoryCredentialHealthStore;
  certificates?: KeyVaultCertificateStore;
}

async function setup(kind: 'certificate' | 'federated', extra: Record<string, string> = {}): Promise<Setup> {
  const config = loadConfig({
    RUN_MODE: 'local',
    AzureWebJobsStorage: azuriteConnectionString(),
    KEY_VAULT_URL: emu.keyVault.vaultUrl,
    KEY_VAULT_TOKEN_OVERRIDE: emu.keyVaultToken,
    GRAPH_CLIENT_ID: DEFAULT_CLIENT_ID,
    LOGIN_ENDPOINT_OVERRIDE: emu.identity.baseUrl,
    GRAPH_ENDPOINT_OVERRIDE: emu.graph.baseUrl,
    AUTH_REDIRECT_URI: DEFAULT_REDIRECT_URI,
    CLIENT_CREDENTIAL: kind,
    CLIENT_CERTIFICATE_NAME: CERT,
    ...extra,
  });
  const health = new MemoryCredentialHealthStore();
  // The certificate path gets a vault token with exactly the grants the template gives: sign on the
  // certificate's key and read of the certificate, nothing on its secret (the private key).
  const name = extra.CLIENT_CERTIFICATE_NAME ?? CERT;
  const limited = emu.grantKeyVaultToken([
    { action: 'Microsoft.KeyVault/vaults/keys/sign/action', scope: `/keys/${name}` },
    { action: 'Microsoft.KeyVault/vaults/certificates/read', scope: `/certificates/${name}` },
  ]);
  const certificates =
    kind === 'certificate'
      ? new KeyVaultCertificateStore({
          keyVaultUrl: emu.keyVault.vaultUrl,
          credential: new StaticTokenCredential(limited),
          cacheTtlMs: 0,
        })
      : undefined;
  const alerts = alertSink();
  const services = createServices(config, createLogger());
  const deps: AuthDeps = await buildAuthDeps(services, {
    connectionsTable: uniqueName('credconns'),
    statesTable: uniqueName('credstates'),
    certificates,
    credentialHealth: health,
    sleep: async () => undefined,
    tokenClient: recordingClient(new HttpTokenClient()),
    onAlert: async (alert) => {
      tokenAlerts.push(alert);
      await reportTokenAlert(alerts, deps.connections, alert);
    },
    onRotationAlert: async (alert) => {
      rotationAlerts.push(alert);
      await reportRotationAlert(alerts, alert);
    },
  });
  return { deps, functions: createAuthFunctions(async () => deps), health, certificates };
}

beforeAll(async () => {
  previousSink = setLogSink((line) => logLines.push(line));
  emu = await startEmulators();
});

afterAll(async () => {
  setLogSink(previousSink);
  await emu?.stop();
});

async function call(
  s: Setup,
  name: string,
  request: { params?: Record<string, string>; query?: URLSearchParams | string; body?: unknown } = {},
): Promise<HttpResult> {
  const fn = s.functions.find((f) => f.name === name);
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

async function createConnection(s: Setup, body: Record<string, unknown> = {}): Promise<string> {
  const result = await call(s, 'connectionsCreate', {
    body: { name: 'Cert', tenant: DEFAULT_WORK_TENANT_ID, driveType: 'business', ...body },
  });
  expect(result.status).toBe(201);
  return (result.body as { id: string }).id;
}

async function authorize(s: Setup, id: string): Promise<HttpResult> {
  const start = await call(s, 'authStart', { params: { id } });
  expect(start.status).toBe(302);
  const response = await fetch(start.headers!.location, { redirect: 'manual' });
  const back = new URL(response.headers.get('location')!);
  return call(s, 'authCallback', { query: back.searchParams });
}

const signs = () => emu.keyVault.server.count('POST', new RegExp(`^/keys/${CERT}/[^/]+/sign`));
const pageText = (page: HttpResult) =>
  String(page.body)
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ');

describe('certificate credential (key in Key Vault, signed by Key Vault)', () => {
  let s: Setup;
  let first: { version: string; der: Buffer };

  beforeAll(async () => {
    first = await emu.createAppCertificate(CERT);
    emu.registerVaultCertificate(CERT, { version: first.version });
    s = await setup('certificate');
  });

  it('redeems the code and refreshes with assertions signed by the vault, never reading the private key', async () => {
    const signsBefore = signs();
    const id = await createConnection(s);
    const page = await authorize(s, id);
    expect(page.status).toBe(200);
    expect(signs()).toBe(signsBefore + 1);

    const assertion = decodeJwt(sentAssertions.at(-1)!) as {
      header: Record<string, unknown>;
      payload: Record<string, unknown>;
    };
    expect(assertion.header).toMatchObject({ alg: 'RS256', typ: 'JWT' });
    expect(assertion.header['x5t#S256']).toBe(createHash('sha256').update(first.der).digest('base64url'));
    expect(assertion.payload).toMatchObject({
      aud: `${emu.identity.baseUrl}/${DEFAULT_WORK_TENANT_ID}/oauth2/v2.0/token`,
      iss: DEFAULT_CLIENT_ID,
      sub: DEFAULT_CLIENT_ID,
    });

    const started = performance.now();
    for (let i = 0; i < 3; i += 1) await s.deps.tokens.getAccessToken(id, { forceRefresh: true });
    const perRefreshMs = (performance.now() - started) / 3;
    // Each request its own assertion (own jti): the emulator refuses a replayed one.
    const jtis = sentAssertions.slice(-4).map((a) => decodeJwt(a).payload.jti);
    expect(new Set(jtis).size).toBe(4);
    expect(signs()).toBe(signsBefore + 4);
    console.log(
      `certificate refresh (sign in the vault emulator + token request): ${perRefreshMs.toFixed(1)} ms`,
    );

    // The Key Vault sign alone, for the figure in docs/credentials.md.
    const [current] = await s.certificates!.versions(CERT);
    const signStarted = performance.now();
    for (let i = 0; i < 10; i += 1)
      await s.certificates!.sign(current.keyId, createHash('sha256').update(String(i)).digest());
    console.log(`Key Vault emulator sign: ${((performance.now() - signStarted) / 10).toFixed(1)} ms`);

    // The certificate's secret (where a PKCS#12 with the private key would be) was never asked for.
    expect(emu.keyVault.server.count('GET', new RegExp(`^/secrets/${CERT}`))).toBe(0);
    expect(s.health.rows.get(CERT)).toMatchObject({ kind: 'certificate', acceptedVersion: first.version });
  });

  it('prints the public certificate for the portal (PEM and base64 DER) with its thumbprint', async () => {
    const view = await getClientCertificate(
      {
        credential: {
          kind: 'certificate',
          certificateName: CERT,
          certificates: s.certificates,
          health: s.health,
        },
      } as unknown as AlertDeps,
      {
        method: 'GET',
        url: 'http://x/api/credential/certificate',
        params: {},
        query: new URLSearchParams(),
        headers: {},
        body: '',
      },
    );
    const body = view.body as {
      pem: string;
      base64Der: string;
      thumbprint: string;
      x5tS256: string;
      acceptedByMicrosoft: boolean;
    };
    const x509 = new X509Certificate(body.pem);
    expect(x509.fingerprint.replace(/:/g, '')).toBe(body.thumbprint);
    expect(Buffer.from(body.base64Der, 'base64').equals(Buffer.from(x509.raw))).toBe(true);
    expect(body.x5tS256).toBe(createHash('sha256').update(x509.raw).digest('base64url'));
    expect(body.acceptedByMicrosoft).toBe(true);
    expect(JSON.stringify(body)).not.toMatch(/PRIVATE KEY/);
  });

  it('keeps signing in through a renewal that is not registered yet, says so, and moves on once it is', async () => {
    const id = await createConnection(s, { name: 'Rotation' });
    expect((await authorize(s, id)).status).toBe(200);
    // Key Vault dates versions in whole seconds and the app takes the latest created as the newest:
    // a renewal in the same second as the first version would not be told apart from it.
    const firstCreated = emu.keyVault.certificate(CERT)!.versions.find((v) => v.version === first.version)!
      .attributes.created;
    while (Math.floor(Date.now() / 1000) <= firstCreated) await sleep(50);
    const renewed = await emu.keyVault.renewCertificate(CERT);
    rotationAlerts.length = 0;
    notified.length = 0;

    // The renewed version signs first, is refused (AADSTS700027), and the previous one signs again.
    await s.deps.tokens.getAccessToken(id, { forceRefresh: true });
    expect(rotationAlerts).toEqual([
      expect.objectContaining({
        certificateName: CERT,
        newestVersion: renewed.version,
        usedVersion: first.version,
        code: 'AADSTS700027',
      }),
    ]);
    const alert = notified.find((a) => a.fields.state === 'renewed-not-registered')!;
    expect(alert.title).toMatch(/renewed the certificate/);
    expect(alert.steps.join(' ')).toMatch(/Upload certificate/);
    expect(s.health.rows.get(CERT)).toMatchObject({
      acceptedVersion: first.version,
      refusedVersion: renewed.version,
      refusedCode: 'AADSTS700027',
    });
    const view = await evaluateCredential(
      { kind: 'certificate', certificateName: CERT, certificates: s.certificates, health: s.health },
      new Date(),
      [30, 14, 7],
    );
    expect(view).toMatchObject({ accepted: true, version: first.version, renewedVersion: renewed.version });
    expect(view.daysLeft).toBeGreaterThan(300);

    // A person uploads the renewed certificate: the newest signs and is accepted (after the hour of
    // preferring the version that works; the row's refusal is aged here instead of waiting).
    emu.registerVaultCertificate(CERT, { version: renewed.version });
    s.health.rows.set(CERT, {
      ...s.health.rows.get(CERT)!,
      refusedAt: new Date(Date.now() - 2 * 3600_000).toISOString(),
    });
    await s.deps.tokens.getAccessToken(id, { forceRefresh: true });
    expect(s.health.rows.get(CERT)).toMatchObject({ acceptedVersion: renewed.version });
    expect(s.health.rows.get(CERT)?.refusedCode).toBeUndefined();
  });

  it('explains a certificate the registration does not know (wrong key) on the callback page and in the alert', async () => {
    const other = 'other-cert';
    const wrong = await setup('certificate', { CLIENT_CERTIFICATE_NAME: other });
    await emu.createAppCertificate(other);
    tokenAlerts.length = 0;
    notified.length = 0;
    const id = await createConnection(wrong, { name: 'Wrong key' });
    const page = await authorize(wrong, id);
    expect(page.status).toBe(400);
    expect(pageText(page)).toMatch(/Microsoft does not know the app’s certificate/);
    expect(pageText(page)).toMatch(/npm run cli -- certificate/);
    expect(pageText(page)).toMatch(/AADSTS700027/);
    expect(tokenAlerts[0]).toMatchObject({ kind: 'invalid-client', credential: { kind: 'certificate' } });
    const alert = notified.find((a) => a.fields.state === 'rejected')!;
    expect(alert.title).toMatch(/rejected the app's certificate 'other-cert' \(AADSTS700027\)/);
    expect(alert.steps.join(' ')).toMatch(/Upload certificate/);
    expect(alert.steps.join(' ')).not.toMatch(/client secret/);
  });

  it('explains an expired registered certificate on the callback page and in the alert', async () => {
    const name = 'expired-cert';
    const expired = await setup('certificate', { CLIENT_CERTIFICATE_NAME: name });
    const created = await emu.createAppCertificate(name);
    emu.registerVaultCertificate(name, {
      version: created.version,
      startDateTime: Date.now() - 400 * 86400_000,
      endDateTime: Date.now() - 86400_000,
    });
    notified.length = 0;
    const id = await createConnection(expired, { name: 'Expired' });
    const page = await authorize(expired, id);
    expect(page.status).toBe(400);
    expect(pageText(page)).toMatch(/The app’s certificate has expired/);
    expect(notified.find((a) => a.fields.state === 'rejected')?.title).toMatch(/has expired/);
  });
});

describe('federated credential (the managed identity trusted by the app registration)', () => {
  it('signs in and refreshes with the managed identity token as the assertion', async () => {
    const { identity, environment } = emu.federateManagedIdentity();
    const s = await setup('federated', {
      MANAGED_IDENTITY_CLIENT_ID: identity.clientId,
      MANAGED_IDENTITY_ENDPOINT_OVERRIDE: environment.IDENTITY_ENDPOINT,
      MANAGED_IDENTITY_ENDPOINT_HEADER: environment.IDENTITY_HEADER,
    });
    const id = await createConnection(s, { name: 'Federated' });
    const page = await authorize(s, id);
    expect(page.status).toBe(200);
    await s.deps.tokens.getAccessToken(id, { forceRefresh: true });
    const sent = decodeJwt(sentAssertions.at(-1)!).payload;
    expect(sent).toMatchObject({ aud: 'api://AzureADTokenExchange', sub: identity.principalId });
    expect(s.health.rows.get(`federated-${DEFAULT_CLIENT_ID}`)).toMatchObject({ kind: 'federated' });
  });

  it('explains a federated credential whose subject is another identity on the callback page and in the alert', async () => {
    // A managed identity the app registration does not trust (no federated credential names it).
    const stranger = emu.identity.addManagedIdentity({ name: 'stranger' });
    const environment = emu.identity.managedIdentityEnvironment();
    const s = await setup('federated', {
      MANAGED_IDENTITY_CLIENT_ID: stranger.clientId,
      MANAGED_IDENTITY_ENDPOINT_OVERRIDE: environment.IDENTITY_ENDPOINT,
      MANAGED_IDENTITY_ENDPOINT_HEADER: environment.IDENTITY_HEADER,
    });
    notified.length = 0;
    const id = await createConnection(s, { name: 'Stranger' });
    const page = await authorize(s, id);
    expect(page.status).toBe(400);
    expect(pageText(page)).toMatch(/AADSTS700213/);
    expect(pageText(page)).toMatch(/names another managed identity/);
    expect(pageText(page)).toMatch(/object \(principal\) id/);
    expect(notified.find((a) => a.fields.state === 'rejected')?.title).toMatch(/federated credential/);
  });
});

describe('logs', () => {
  it('never contain an assertion, a managed-identity token or a signature', () => {
    expect(sentAssertions.length).toBeGreaterThan(5);
    const text = logLines.join('\n');
    for (const assertion of sentAssertions) {
      expect(text).not.toContain(assertion);
      // Nor any of its three parts (the signature alone is as good as the assertion's proof).
      for (const part of assertion.split('.')) expect(text).not.toContain(part);
    }
  });
});
