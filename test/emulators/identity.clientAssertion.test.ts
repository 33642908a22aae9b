// Client assertions at the identity emulator's token endpoint, over raw HTTP. The assertion format and
// its use in place of a client secret: "Microsoft identity platform application authentication
// certificate credentials" (https://learn.microsoft.com/entra/identity-platform/certificate-credentials:
// header alg PS256/RS256, typ JWT, x5t#S256; claims aud, exp, iss, jti, nbf, sub, iat; keyCredentials is
// multi-valued). The AADSTS codes and texts are those of service responses quoted in public issue threads
// (see emulators/identity/errors.ts).
import { createHash, randomBytes, randomUUID, sign, constants, type KeyObject } from 'node:crypto';
import { ConfidentialClientApplication } from '@azure/msal-node';
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_REDIRECT_URI,
  DEFAULT_WORK_TENANT_ID,
  DEFAULT_WORK_USER,
  IdentityEmulator,
  JWT_BEARER,
  decodeJwt,
} from '../../emulators/identity';
import {
  newRsaKey,
  selfSignedCertificate,
  x5t,
  x5tS256,
  type RsaKeyPair,
} from '../../emulators/keyvault/crypto';
import { CONTROL_KEY_HEADER } from '../../emulators/shared/server';

let offsetMs = 0;
const emulator = new IdentityEmulator({ now: () => Date.now() + offsetMs });
const TENANT = DEFAULT_WORK_TENANT_ID;
const endpoint = (tenant = TENANT) => `${emulator.baseUrl}/${tenant}/oauth2/v2.0/token`;
const nowSeconds = () => Math.floor(emulator.now() / 1000);

interface Cert {
  keys: RsaKeyPair;
  der: Buffer;
}

async function newCert(validity: { from?: number; to?: number } = {}): Promise<Cert> {
  const keys = await newRsaKey(2048);
  const from = validity.from ?? nowSeconds() - 60;
  const der = selfSignedCertificate(keys, {
    subject: 'CN=azure-onedrive-backup',
    notBefore: from,
    notAfter: validity.to ?? from + 365 * 24 * 3600,
    keyUsage: ['digitalSignature'],
    ekus: [],
  });
  return { keys, der };
}

interface AssertionOptions {
  alg?: 'RS256' | 'PS256';
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
  signWith?: KeyObject;
  tenant?: string;
}

/** An assertion as the certificate credentials page describes it, signed locally. */
function assertion(cert: Cert, o: AssertionOptions = {}): string {
  const alg = o.alg ?? 'PS256';
  const now = nowSeconds();
  const header = { alg, typ: 'JWT', 'x5t#S256': x5tS256(cert.der), ...o.header };
  const claims = {
    aud: endpoint(o.tenant),
    iss: DEFAULT_CLIENT_ID,
    sub: DEFAULT_CLIENT_ID,
    jti: randomUUID(),
    nbf: now,
    iat: now,
    exp: now + 600,
    ...o.claims,
  };
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  const key = o.signWith ?? cert.keys.privateKey;
  const signature =
    alg === 'RS256'
      ? sign('sha256', Buffer.from(input), key)
      : sign('sha256', Buffer.from(input), { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
  return `${input}.${signature.toString('base64url')}`;
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

function expectError(res: { status: number; body: Record<string, unknown> }, code: number, text?: RegExp) {
  expect(res.body.error_codes).toEqual([code]);
  expect(res.body.error_description).toMatch(new RegExp(`^AADSTS${code}: `));
  if (text) expect(res.body.error_description).toMatch(text);
  expect(res.body.access_token).toBeUndefined();
}

async function authorizationCode(loginHint: string) {
  const verifier = randomBytes(32).toString('base64url');
  const url = new URL(`${emulator.baseUrl}/${TENANT}/oauth2/v2.0/authorize`);
  for (const [k, v] of Object.entries({
    client_id: DEFAULT_CLIENT_ID,
    response_type: 'code',
    redirect_uri: DEFAULT_REDIRECT_URI,
    scope: 'openid profile offline_access Files.ReadWrite.All',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    login_hint: loginHint,
  }))
    url.searchParams.set(k, v);
  const res = await fetch(url, { redirect: 'manual' });
  expect(res.status).toBe(302);
  return { code: new URL(res.headers.get('location')!).searchParams.get('code')!, verifier };
}

let registered: Cert;

beforeAll(async () => {
  await emulator.start();
  emulator.grantAdminConsent(DEFAULT_CLIENT_ID, TENANT);
  registered = await newCert();
  emulator.addKeyCredential(DEFAULT_CLIENT_ID, registered.der);
});
afterAll(() => emulator.stop());
afterEach(() => {
  offsetMs = 0;
});

describe('certificate credentials: accepted', () => {
  it('client credentials with a PS256 assertion naming the certificate by x5t#S256', async () => {
    const before = emulator.counters.clientAuth.certificate ?? 0;
    const res = await clientCredentials(assertion(registered));
    expect(res.status).toBe(200);
    expect(decodeJwt(res.body.access_token as string)).toMatchObject({
      appid: DEFAULT_CLIENT_ID,
      tid: TENANT,
    });
    expect(emulator.counters.clientAuth.certificate).toBe(before + 1);
  });

  it('RS256 with the legacy SHA-1 x5t, and without client_id (the assertion names the client)', async () => {
    const legacy = assertion(registered, {
      alg: 'RS256',
      header: { 'x5t#S256': undefined, x5t: x5t(registered.der) },
    });
    const res = await token({
      grant_type: 'client_credentials',
      scope: 'https://graph.microsoft.com/.default',
      client_assertion_type: JWT_BEARER,
      client_assertion: legacy,
    });
    expect(res.status).toBe(200);
  });

  it('authorization code redemption and refresh, each with a fresh assertion in place of the secret', async () => {
    const { code, verifier } = await authorizationCode(DEFAULT_WORK_USER.upn);
    const redeemed = await token({
      grant_type: 'authorization_code',
      client_id: DEFAULT_CLIENT_ID,
      code,
      code_verifier: verifier,
      redirect_uri: DEFAULT_REDIRECT_URI,
      scope: 'openid profile offline_access Files.ReadWrite.All',
      client_assertion_type: JWT_BEARER,
      client_assertion: assertion(registered),
    });
    expect(redeemed.status).toBe(200);
    expect(redeemed.body.refresh_token).toEqual(expect.any(String));
    const refreshed = await token({
      grant_type: 'refresh_token',
      client_id: DEFAULT_CLIENT_ID,
      refresh_token: redeemed.body.refresh_token as string,
      scope: 'offline_access Files.ReadWrite.All',
      client_assertion_type: JWT_BEARER,
      client_assertion: assertion(registered),
    });
    expect(refreshed.status).toBe(200);
    expect(decodeJwt(refreshed.body.access_token as string).oid).toBe(DEFAULT_WORK_USER.oid);
  });

  it('allows a clock skew: nbf a minute ahead is accepted', async () => {
    const now = nowSeconds();
    expect(
      (await clientCredentials(assertion(registered, { claims: { nbf: now + 60, exp: now + 660 } }))).status,
    ).toBe(200);
  });

  it('accepts the login.microsoftonline.com form of the audience too', async () => {
    const aud = `https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/token`;
    expect((await clientCredentials(assertion(registered, { claims: { aud } }))).status).toBe(200);
  });
});

describe('certificate credentials built by MSAL', () => {
  it('accepts the assertion MSAL Node builds from clientCertificate (PS256, x5t#S256)', async () => {
    const cca = new ConfidentialClientApplication({
      auth: {
        clientId: DEFAULT_CLIENT_ID,
        clientCertificate: {
          thumbprintSha256: createHash('sha256').update(registered.der).digest('hex'),
          privateKey: registered.keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        },
        ...emulator.msalAuthority(TENANT),
      },
    });
    const before = emulator.server.requests.length;
    const result = await cca.acquireTokenByClientCredential({
      scopes: ['https://graph.microsoft.com/.default'],
    });
    expect(result?.accessToken).toEqual(expect.any(String));
    const sent = emulator.server.requests.slice(before).filter((r) => r.path.endsWith('/oauth2/v2.0/token'));
    expect(sent.map((r) => r.status)).toEqual([200]);
  });
});

describe('certificate credentials: refused', () => {
  it('a certificate not registered on the app (unknown x5t#S256): AADSTS700027, thumbprint named', async () => {
    const stranger = await newCert();
    const res = await clientCredentials(assertion(stranger));
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
    const thumb = createHash('sha256').update(stranger.der).digest('hex').toUpperCase();
    expectError(
      res,
      700027,
      new RegExp(`not registered on application.*Thumbprint of key used by client: '${thumb}'`),
    );
  });

  it('the wrong key: signed with another key under the registered certificate thumbprint', async () => {
    const other = await newCert();
    const res = await clientCredentials(assertion(registered, { signWith: other.keys.privateKey }));
    expect(res.status).toBe(401);
    expectError(res, 700027, /invalid signature/);
  });

  it('a registered certificate whose keyCredential has expired, and one not yet valid', async () => {
    const expired = await newCert();
    emulator.addKeyCredential(DEFAULT_CLIENT_ID, expired.der, { endDateTime: emulator.now() - 1000 });
    expectError(await clientCredentials(assertion(expired)), 700027, /The key used is expired/);
    const future = await newCert();
    emulator.addKeyCredential(DEFAULT_CLIENT_ID, future.der, { startDateTime: emulator.now() + 3600e3 });
    expectError(await clientCredentials(assertion(future)), 700027, /not yet valid/);
  });

  it('an audience other than the token endpoint of the tenant called: AADSTS700023', async () => {
    const res = await clientCredentials(assertion(registered, { claims: { aud: endpoint('common') } }));
    expectError(res, 700023, /audience claim does not match/);
  });

  it('iss or sub other than the client id: AADSTS700021', async () => {
    expectError(await clientCredentials(assertion(registered, { claims: { iss: randomUUID() } })), 700021);
    expectError(await clientCredentials(assertion(registered, { claims: { sub: randomUUID() } })), 700021);
  });

  it('expired and not-yet-valid assertions beyond the 5-minute skew: AADSTS700024 with the times', async () => {
    // A minute past the skew on each side, each against its own clock reading: a loaded CI machine can
    // spend a second between two reads, and a margin of one second then lands inside the skew.
    const beyondSkew = 300 + 60;
    let now = nowSeconds();
    const expired = await clientCredentials(
      assertion(registered, { claims: { nbf: now - 1200, exp: now - beyondSkew } }),
    );
    expect(expired.status).toBe(401);
    expectError(
      expired,
      700024,
      /Client assertion is not within its valid time range\. Current time: \d{4}-.*Z, assertion valid from/,
    );
    now = nowSeconds();
    const early = await clientCredentials(
      assertion(registered, { claims: { nbf: now + beyondSkew, exp: now + 1200 } }),
    );
    expectError(early, 700024);
  });

  it('a replayed jti, even within the assertion lifetime', async () => {
    const once = assertion(registered);
    expect((await clientCredentials(once)).status).toBe(200);
    const again = await clientCredentials(once);
    expect(again.status).toBe(400);
    expectError(again, 50027, /already used/);
  });

  it('malformed assertions, a missing thumbprint, an HMAC algorithm from outside and a wrong assertion type', async () => {
    expectError(await clientCredentials('not-a-jwt'), 50027);
    expectError(
      await clientCredentials(assertion(registered, { header: { 'x5t#S256': undefined } })),
      50027,
      /No certificate thumbprint/,
    );
    expectError(await clientCredentials(assertion(registered, { header: { typ: 'at+jwt' } })), 50027);
    // HS256 is only ever the emulator's own (managed identity) tokens; a forged one does not verify.
    const forged = ['{"alg":"HS256","typ":"JWT"}', '{"iss":"x"}']
      .map((p) => Buffer.from(p).toString('base64url'))
      .join('.');
    expectError(
      await clientCredentials(`${forged}.${randomBytes(32).toString('base64url')}`),
      50027,
      /could not be verified/,
    );
    const wrongType = await token({
      grant_type: 'client_credentials',
      client_id: DEFAULT_CLIENT_ID,
      scope: 'https://graph.microsoft.com/.default',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer',
      client_assertion: assertion(registered),
    });
    expectError(wrongType, 900144, /client_assertion_type/);
  });
});

describe('rotation with overlapping certificates', () => {
  it('accepts both certificates while both are registered, and only the new one after the old is removed', async () => {
    const oldCert = await newCert();
    const newCertificate = await newCert();
    const oldCredential = emulator.addKeyCredential(DEFAULT_CLIENT_ID, oldCert.der);
    emulator.addKeyCredential(DEFAULT_CLIENT_ID, newCertificate.der);
    expect((await clientCredentials(assertion(oldCert))).status).toBe(200);
    expect((await clientCredentials(assertion(newCertificate))).status).toBe(200);

    expect(emulator.removeKeyCredential(DEFAULT_CLIENT_ID, oldCredential.keyId)).toBe(true);
    expectError(await clientCredentials(assertion(oldCert)), 700027, /not registered/);
    expect((await clientCredentials(assertion(newCertificate))).status).toBe(200);
  });

  it('registers and removes a certificate over the control route, which needs the control key', async () => {
    const cert = await newCert();
    const url = `${emulator.baseUrl}/_emulator/identity/apps/${DEFAULT_CLIENT_ID}/key-credentials`;
    const body = JSON.stringify({ key: cert.der.toString('base64') });
    expect((await fetch(url, { method: 'POST', body })).status).toBe(403);
    const added = await fetch(url, {
      method: 'POST',
      body,
      headers: { [CONTROL_KEY_HEADER]: emulator.server.controlKey },
    });
    expect(added.status).toBe(200);
    const { keyId } = (await added.json()) as { keyId: string };
    expect((await clientCredentials(assertion(cert))).status).toBe(200);
    const state = (await (
      await fetch(`${emulator.baseUrl}/_emulator/identity/state`, {
        headers: { [CONTROL_KEY_HEADER]: emulator.server.controlKey },
      })
    ).json()) as {
      apps: { clientId: string; keyCredentials: { keyId: string; thumbprintSha256: string }[] }[];
    };
    const app = state.apps.find((a) => a.clientId === DEFAULT_CLIENT_ID)!;
    expect(app.keyCredentials.find((k) => k.keyId === keyId)?.thumbprintSha256).toBe(
      createHash('sha256').update(cert.der).digest('hex').toUpperCase(),
    );
    const removed = await fetch(`${url}/${keyId}`, {
      method: 'DELETE',
      headers: { [CONTROL_KEY_HEADER]: emulator.server.controlKey },
    });
    expect(((await removed.json()) as { removed: boolean }).removed).toBe(true);
    expectError(await clientCredentials(assertion(cert)), 700027);
  });
});

describe('the secret path is unchanged', () => {
  it('still refuses a wrong secret with AADSTS7000215', async () => {
    const res = await token({
      grant_type: 'client_credentials',
      client_id: DEFAULT_CLIENT_ID,
      client_secret: 'wrong',
      scope: 'https://graph.microsoft.com/.default',
    });
    expectError(res, 7000215);
  });
});
