// Credentials that cannot leak, across the emulators started by startEmulators: a client assertion
// whose signature comes from the Key Vault emulator's sign operation (CertificateClient +
// CryptographyClient, key not exportable), rotation through a renewed certificate, and a managed
// identity's token (fetched by the real ManagedIdentityCredential through the App Service protocol) as
// a federated credential. Sources: "Microsoft identity platform application authentication
// certificate credentials", "Configure an application to trust a managed identity"
// (https://learn.microsoft.com/entra/workload-id/workload-identity-federation-config-app-trust-managed-identity),
// Key Vault REST "Sign" (https://learn.microsoft.com/rest/api/keyvault/keys/sign/sign).
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { ManagedIdentityCredential } from '@azure/identity';
import { CertificateClient } from '@azure/keyvault-certificates';
import { CryptographyClient } from '@azure/keyvault-keys';
import { SecretClient } from '@azure/keyvault-secrets';
import { startEmulators, type Emulators } from '../../emulators';
import {
  CONSUMER_TENANT_ID,
  DEFAULT_CLIENT_ID,
  DEFAULT_PERSONAL_USER,
  DEFAULT_REDIRECT_URI,
  DEFAULT_WORK_TENANT_ID,
  DEFAULT_WORK_USER,
  JWT_BEARER,
  TOKEN_EXCHANGE_AUDIENCE,
} from '../../emulators/identity';
import { DATA_ACTIONS, ROLES } from '../../emulators/keyvault';

const TENANT = DEFAULT_WORK_TENANT_ID;
const options = { disableChallengeResourceVerification: true };
type Credential = ConstructorParameters<typeof CertificateClient>[1];
const fixed = (token: string): Credential => ({
  getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3600e3 }),
});

let emulators: Emulators;
let signerToken: string;

beforeAll(async () => {
  emulators = await startEmulators();
  emulators.identity.grantAdminConsent(DEFAULT_CLIENT_ID, TENANT);
  await emulators.createAppCertificate('app-credential');
  // The product's identity: sign on this one key, read certificates; no secrets (so no export).
  signerToken = emulators.grantKeyVaultToken([
    ...ROLES.cryptoUser.map((action) => ({ action, scope: '/keys/app-credential' })),
    { action: DATA_ACTIONS.certificatesRead },
  ]);
});
afterAll(() => emulators.stop());

const endpoint = (tenant = TENANT) => `${emulators.identity.baseUrl}/${tenant}/oauth2/v2.0/token`;

/** What the product does: read the certificate, build the JWT, have Key Vault sign its digest. */
async function vaultSignedAssertion(
  tenant = TENANT,
  version?: string,
): Promise<{ assertion: string; kid: string }> {
  const certificates = new CertificateClient(emulators.keyVault.vaultUrl, fixed(signerToken), options);
  const cert = version
    ? await certificates.getCertificateVersion('app-credential', version)
    : await certificates.getCertificate('app-credential');
  const header = {
    alg: 'RS256',
    typ: 'JWT',
    'x5t#S256': createHash('sha256').update(Buffer.from(cert.cer!)).digest('base64url'),
  };
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    aud: endpoint(tenant),
    iss: DEFAULT_CLIENT_ID,
    sub: DEFAULT_CLIENT_ID,
    jti: randomUUID(),
    nbf: now,
    iat: now,
    exp: now + 600,
  };
  const input = [header, claims]
    .map((part) => Buffer.from(JSON.stringify(part)).toString('base64url'))
    .join('.');
  const crypto = new CryptographyClient(cert.keyId!, fixed(signerToken), options);
  const signed = await crypto.sign('RS256', createHash('sha256').update(input).digest());
  return { assertion: `${input}.${Buffer.from(signed.result).toString('base64url')}`, kid: signed.keyID! };
}

async function token(fields: Record<string, string>, tenant = TENANT) {
  const res = await fetch(endpoint(tenant), {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const clientCredentials = (clientAssertion: string, tenant = TENANT) =>
  token(
    {
      grant_type: 'client_credentials',
      client_id: DEFAULT_CLIENT_ID,
      scope: 'https://graph.microsoft.com/.default',
      client_assertion_type: JWT_BEARER,
      client_assertion: clientAssertion,
    },
    tenant,
  );

async function codeFor(loginHint: string, tenant = TENANT) {
  const verifier = randomBytes(32).toString('base64url');
  const url = new URL(`${emulators.identity.baseUrl}/${tenant}/oauth2/v2.0/authorize`);
  const params = {
    client_id: DEFAULT_CLIENT_ID,
    response_type: 'code',
    redirect_uri: DEFAULT_REDIRECT_URI,
    scope: 'openid profile offline_access Files.ReadWrite.All',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    login_hint: loginHint,
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const res = await fetch(url, { redirect: 'manual' });
  return { code: new URL(res.headers.get('location')!).searchParams.get('code')!, verifier };
}

const redeem = (code: string, verifier: string, clientAssertion: string, tenant = TENANT) =>
  token(
    {
      grant_type: 'authorization_code',
      client_id: DEFAULT_CLIENT_ID,
      code,
      code_verifier: verifier,
      redirect_uri: DEFAULT_REDIRECT_URI,
      scope: 'openid profile offline_access Files.ReadWrite.All',
      client_assertion_type: JWT_BEARER,
      client_assertion: clientAssertion,
    },
    tenant,
  );

describe('certificate in Key Vault, signed by the vault', () => {
  it('is refused before its public half is registered, and accepted after (client credentials, code, refresh)', async () => {
    const before = await vaultSignedAssertion();
    const refused = await clientCredentials(before.assertion);
    expect(refused.body.error_codes).toEqual([700027]);

    emulators.registerVaultCertificate('app-credential');
    const { assertion, kid } = await vaultSignedAssertion();
    expect(kid).toMatch(new RegExp(`^${emulators.keyVault.vaultUrl}keys/app-credential/[0-9a-f]{32}$`));
    expect((await clientCredentials(assertion)).status).toBe(200);

    const { code, verifier } = await codeFor(DEFAULT_WORK_USER.upn);
    const redeemed = await redeem(code, verifier, (await vaultSignedAssertion()).assertion);
    expect(redeemed.status).toBe(200);
    const refreshed = await token({
      grant_type: 'refresh_token',
      client_id: DEFAULT_CLIENT_ID,
      refresh_token: redeemed.body.refresh_token as string,
      client_assertion_type: JWT_BEARER,
      client_assertion: (await vaultSignedAssertion()).assertion,
    });
    expect(refreshed.status).toBe(200);
  });

  it('the signing identity cannot export the key: the backing secret is refused to it', async () => {
    const secrets = new SecretClient(emulators.keyVault.vaultUrl, fixed(signerToken), options);
    await expect(secrets.getSecret('app-credential')).rejects.toMatchObject({ statusCode: 403 });
    // Even the vault's own full-access token gets the certificate without its private key.
    const admin = new SecretClient(emulators.keyVault.vaultUrl, fixed(emulators.keyVaultToken), options);
    const pfx = Buffer.from((await admin.getSecret('app-credential')).value!, 'base64').toString('binary');
    expect(pfx.includes(Buffer.from('2a864886f70d010c0a0102', 'hex').toString('binary'))).toBe(false);
  });

  it('rotates without an outage: after renewal both versions sign accepted assertions while both are registered', async () => {
    const oldVersion = emulators.keyVault.certificate('app-credential')!.versions.at(-1)!.version;
    await emulators.keyVault.renewCertificate('app-credential');
    // Renewed but not uploaded yet: the new version is refused, the old one still works.
    const fresh = await vaultSignedAssertion();
    expect((await clientCredentials(fresh.assertion)).body.error_codes).toEqual([700027]);
    expect((await clientCredentials((await vaultSignedAssertion(TENANT, oldVersion)).assertion)).status).toBe(
      200,
    );

    emulators.registerVaultCertificate('app-credential');
    expect((await clientCredentials((await vaultSignedAssertion()).assertion)).status).toBe(200);
    expect((await clientCredentials((await vaultSignedAssertion(TENANT, oldVersion)).assertion)).status).toBe(
      200,
    );
  });

  it('refuses a certificate whose registration has expired', async () => {
    await emulators.createAppCertificate('expired-credential', { policy: { lifetime_actions: [] } });
    emulators.registerVaultCertificate('expired-credential', { endDateTime: Date.now() - 1000 });
    const certificates = new CertificateClient(
      emulators.keyVault.vaultUrl,
      fixed(emulators.keyVaultToken),
      options,
    );
    const cert = await certificates.getCertificate('expired-credential');
    const header = {
      alg: 'RS256',
      typ: 'JWT',
      'x5t#S256': createHash('sha256').update(Buffer.from(cert.cer!)).digest('base64url'),
    };
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      aud: endpoint(),
      iss: DEFAULT_CLIENT_ID,
      sub: DEFAULT_CLIENT_ID,
      jti: randomUUID(),
      nbf: now,
      exp: now + 300,
    };
    const input = [header, claims].map((p) => Buffer.from(JSON.stringify(p)).toString('base64url')).join('.');
    const crypto = new CryptographyClient(cert.keyId!, fixed(emulators.keyVaultToken), options);
    const signature = Buffer.from(
      (await crypto.sign('RS256', createHash('sha256').update(input).digest())).result,
    );
    const res = await clientCredentials(`${input}.${signature.toString('base64url')}`);
    expect(res.body.error_codes).toEqual([700027]);
    expect(res.body.error_description).toMatch(/expired/);
  });
});

describe('managed identity as a federated credential', () => {
  const savedEnv = { ...process.env };
  afterEach(() => {
    for (const key of ['IDENTITY_ENDPOINT', 'IDENTITY_HEADER']) {
      if (savedEnv[key] === undefined) delete process.env[key];
      else process.env[key] = savedEnv[key];
    }
  });

  async function managedIdentityToken(clientId: string, audience = TOKEN_EXCHANGE_AUDIENCE): Promise<string> {
    const { environment } = { environment: emulators.identity.managedIdentityEnvironment() };
    process.env.IDENTITY_ENDPOINT = environment.IDENTITY_ENDPOINT;
    process.env.IDENTITY_HEADER = environment.IDENTITY_HEADER;
    const credential = new ManagedIdentityCredential({ clientId });
    return (await credential.getToken(`${audience}/.default`)).token;
  }

  it('exchanges the managed identity token from ManagedIdentityCredential for an app token (client credentials and code)', async () => {
    const { identity, credential } = emulators.federateManagedIdentity();
    expect(credential).toMatchObject({
      issuer: `https://login.microsoftonline.com/${TENANT}/v2.0`,
      subject: identity.principalId,
      audiences: ['api://AzureADTokenExchange'],
    });
    const miToken = await managedIdentityToken(identity.clientId);
    const before = emulators.identity.counters.clientAuth.federated ?? 0;
    expect((await clientCredentials(miToken)).status).toBe(200);
    // The same managed identity token may be presented again (the credential caches it): no jti rule.
    expect((await clientCredentials(miToken)).status).toBe(200);
    const { code, verifier } = await codeFor(DEFAULT_WORK_USER.upn);
    expect((await redeem(code, verifier, miToken)).status).toBe(200);
    expect(emulators.identity.counters.clientAuth.federated).toBe(before + 3);
  });

  it('refuses a managed identity the app does not trust (wrong subject): AADSTS700213', async () => {
    const stranger = emulators.identity.addManagedIdentity({ name: 'stranger' });
    const res = await clientCredentials(await managedIdentityToken(stranger.clientId));
    expect(res.status).toBe(401);
    expect(res.body.error_codes).toEqual([700213]);
    expect(res.body.error_description).toContain(stranger.principalId);
  });

  it('refuses another audience (AADSTS700212) and another tenant as issuer (AADSTS700211)', async () => {
    const { identity } = emulators.federateManagedIdentity();
    const usGov = await managedIdentityToken(identity.clientId, 'api://AzureADTokenExchangeUSGov');
    expect((await clientCredentials(usGov)).body.error_codes).toEqual([700212]);
    const elsewhere = emulators.identity.addManagedIdentity({
      tenantId: 'b1c2d3e4-0000-4000-8000-0000000000ff',
    });
    expect(
      (await clientCredentials(await managedIdentityToken(elsewhere.clientId))).body.error_codes,
    ).toEqual([700211]);
  });

  it('is refused for personal Microsoft accounts: at the consumers tenant and for a personal user code', async () => {
    const { identity } = emulators.federateManagedIdentity();
    const miToken = await managedIdentityToken(identity.clientId);
    const consumers = await token(
      {
        grant_type: 'authorization_code',
        client_id: DEFAULT_CLIENT_ID,
        code: 'x',
        client_assertion_type: JWT_BEARER,
        client_assertion: miToken,
      },
      'consumers',
    );
    expect(consumers.body.error_codes).toEqual([700211]);
    const { code, verifier } = await codeFor(DEFAULT_PERSONAL_USER.upn, 'common');
    const personal = await redeem(code, verifier, miToken, 'common');
    expect(personal.body.error_codes).toEqual([700211]);
    expect(personal.body.error_description).toContain(
      `https://login.microsoftonline.com/${CONSUMER_TENANT_ID}/v2.0`,
    );
  });

  it('refuses an expired managed identity token: AADSTS700024', async () => {
    const { identity } = emulators.federateManagedIdentity();
    const miToken = await managedIdentityToken(identity.clientId);
    emulators.identity.advanceClock(2 * 3600e3);
    try {
      expect((await clientCredentials(miToken)).body.error_codes).toEqual([700024]);
    } finally {
      emulators.identity.advanceClock(-2 * 3600e3);
    }
  });

  it('sets up the trust over the control routes for other processes (control key required)', async () => {
    const url = `${emulators.identity.baseUrl}/_emulator/identity/managed-identities`;
    const body = JSON.stringify({ name: 'from-another-process', trust: DEFAULT_CLIENT_ID });
    expect((await fetch(url, { method: 'POST', body })).status).toBe(403);
    const res = await fetch(url, {
      method: 'POST',
      body,
      headers: { 'X-Emulator-Control-Key': emulators.controlKey },
    });
    const created = (await res.json()) as { identity: { clientId: string; principalId: string } };
    expect(res.status).toBe(200);
    const miToken = await managedIdentityToken(created.identity.clientId);
    expect((await clientCredentials(miToken)).status).toBe(200);
    const fic = `${emulators.identity.baseUrl}/_emulator/identity/apps/${DEFAULT_CLIENT_ID}/federated-credentials/mi-${created.identity.principalId}`;
    const removed = await fetch(fic, {
      method: 'DELETE',
      headers: { 'X-Emulator-Control-Key': emulators.controlKey },
    });
    expect(((await removed.json()) as { removed: boolean }).removed).toBe(true);
    expect((await clientCredentials(miToken)).body.error_codes).toEqual([700213]);
  });

  it('the managed identity endpoint refuses a wrong X-IDENTITY-HEADER and other audiences', async () => {
    const { identity, environment } = emulators.federateManagedIdentity();
    const url = `${environment.IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=${TOKEN_EXCHANGE_AUDIENCE}&client_id=${identity.clientId}`;
    expect((await fetch(url, { headers: { 'X-IDENTITY-HEADER': 'wrong' } })).status).toBe(401);
    const graph = url.replace(TOKEN_EXCHANGE_AUDIENCE, 'https://graph.microsoft.com');
    expect(
      (await fetch(graph, { headers: { 'X-IDENTITY-HEADER': environment.IDENTITY_HEADER } })).status,
    ).toBe(400);
  });
});
