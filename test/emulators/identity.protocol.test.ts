// The identity emulator at the HTTP level: exact error shapes, the authorize rules and pages, the
// control routes. Raw fetch, so nothing is hidden by a client library.
import { createHash, randomBytes } from 'node:crypto';
import { CONTROL_KEY_HEADER } from '../../emulators/shared/server';
import {
  AADSTS,
  CONSUMER_TENANT_ID,
  DEFAULT_APP_NAME,
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  DEFAULT_CLIENT_SECRET_ID,
  DEFAULT_PERSONAL_USER,
  DEFAULT_REDIRECT_URI,
  DEFAULT_WORK_TENANT_ID,
  DEFAULT_WORK_USER,
  IdentityEmulator,
  decodeJwt,
  type SignInAudience,
} from '../../emulators/identity';

let clock = Date.now();
const emulator = new IdentityEmulator({ now: () => clock });
const base = () => emulator.baseUrl;

beforeAll(() => emulator.start());
afterAll(() => emulator.stop());
beforeEach(() => emulator.script.clear());

const verifier = () => randomBytes(32).toString('base64url');
const challengeOf = (v: string) => createHash('sha256').update(v).digest('base64url');

function authorizeUrl(tenant: string, params: Record<string, string> = {}): string {
  const url = new URL(`${base()}/${tenant}/oauth2/v2.0/authorize`);
  const defaults = {
    client_id: DEFAULT_CLIENT_ID,
    response_type: 'code',
    redirect_uri: DEFAULT_REDIRECT_URI,
    scope: 'openid profile offline_access Files.ReadWrite.All',
    state: 'state-42',
  };
  for (const [k, v] of Object.entries({ ...defaults, ...params })) url.searchParams.set(k, v);
  return url.toString();
}

async function get(url: string) {
  const res = await fetch(url, { redirect: 'manual' });
  const location = res.headers.get('location');
  return { status: res.status, location: location ? new URL(location) : undefined, text: await res.text() };
}

async function token(tenant: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await fetch(`${base()}/${tenant}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function codeFor(tenant = 'common', params: Record<string, string> = {}) {
  const v = verifier();
  const res = await get(
    authorizeUrl(tenant, { code_challenge: challengeOf(v), code_challenge_method: 'S256', ...params }),
  );
  expect(res.status).toBe(302);
  return { code: res.location!.searchParams.get('code')!, verifier: v };
}

const redeem = (code: string, v: string, extra: Record<string, string> = {}) =>
  token('common', {
    grant_type: 'authorization_code',
    client_id: DEFAULT_CLIENT_ID,
    client_secret: DEFAULT_CLIENT_SECRET,
    code,
    code_verifier: v,
    redirect_uri: DEFAULT_REDIRECT_URI,
    scope: 'openid profile offline_access Files.ReadWrite.All',
    ...extra,
  });

function expectAadError(body: Record<string, unknown>, code: number, error: string) {
  expect(body).toMatchObject({
    error,
    error_codes: [code],
    error_uri: `https://login.microsoftonline.com/error?code=${code}`,
  });
  expect(body.error_description).toMatch(
    new RegExp(
      `^AADSTS${code}: .+\\r\\nTrace ID: [0-9a-f-]{36}\\r\\nCorrelation ID: [0-9a-f-]{36}\\r\\nTimestamp: \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ$`,
      's',
    ),
  );
  expect(body.timestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
  expect(body.trace_id).toMatch(/^[0-9a-f-]{36}$/);
  expect(body.correlation_id).toMatch(/^[0-9a-f-]{36}$/);
}

describe('authorize endpoint', () => {
  it('shows an AADSTS50011 page, not a redirect, for an unregistered redirect URI', async () => {
    const res = await get(authorizeUrl('common', { redirect_uri: 'https://evil.example/cb' }));
    expect(res.status).toBe(400);
    expect(res.location).toBeUndefined();
    expect(res.text).toContain(
      `AADSTS50011: The redirect URI &#39;https://evil.example/cb&#39; specified in the request does not match the redirect URIs configured for the application &#39;${DEFAULT_CLIENT_ID}&#39;`,
    );
  });

  it('shows an AADSTS700016 page for an unknown client and AADSTS90002 for an unknown tenant', async () => {
    const unknownClient = await get(
      authorizeUrl('common', { client_id: '11111111-2222-3333-4444-555555555555' }),
    );
    expect(unknownClient.status).toBe(400);
    expect(unknownClient.text).toContain('AADSTS700016: Application with identifier');
    const unknownTenant = await get(authorizeUrl('aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee'));
    expect(unknownTenant.text).toContain('AADSTS90002');
  });

  it('requires S256 when a code challenge is given', async () => {
    const res = await get(authorizeUrl('common', { code_challenge: 'abc', code_challenge_method: 'plain' }));
    expect(res.location?.searchParams.get('error')).toBe('invalid_request');
    expect(res.location?.searchParams.get('error_description')).toMatch(/^AADSTS50149: /);
    expect(res.location?.searchParams.get('state')).toBe('state-42');
  });

  it('redirects a scripted denial as access_denied AADSTS65004 with the state', async () => {
    emulator.nextSignIn({ outcome: 'deny' });
    const res = await get(authorizeUrl('common'));
    expect(res.status).toBe(302);
    expect(res.location?.origin + res.location!.pathname).toBe(DEFAULT_REDIRECT_URI);
    expect(res.location?.searchParams.get('error')).toBe('access_denied');
    expect(res.location?.searchParams.get('error_description')).toMatch(
      /^AADSTS65004: User declined to consent/,
    );
    expect(res.location?.searchParams.get('state')).toBe('state-42');
    expect(res.location?.searchParams.has('code')).toBe(false);
  });

  it('passes a scripted custom error through and signs in a chosen user', async () => {
    emulator.nextSignIn({ outcome: { error: 'server_error', error_description: 'boom' } });
    emulator.nextSignIn({ userOid: DEFAULT_WORK_USER.oid, outcome: 'consent' });
    const failed = await get(authorizeUrl('common'));
    expect(Object.fromEntries(failed.location!.searchParams)).toMatchObject({
      error: 'server_error',
      error_description: 'boom',
    });
    const { code } = await codeFor('common');
    expect(emulator.grants.codes.get(code)?.oid).toBe(DEFAULT_WORK_USER.oid);
  });

  it.each([
    [50076, 'interaction_required'],
    [53003, 'interaction_required'],
    [65001, 'consent_required'],
  ])('fails the next authorize with AADSTS%i as %s', async (aadsts, error) => {
    emulator.failNextAuthorize({ error, aadsts });
    const res = await get(authorizeUrl('common'));
    expect(res.location?.searchParams.get('error')).toBe(error);
    expect(res.location?.searchParams.get('error_description')).toMatch(new RegExp(`^AADSTS${aadsts}: `));
    expect((await get(authorizeUrl('common'))).location?.searchParams.has('code')).toBe(true);
  });

  describe('account types', () => {
    const appWith = (signInAudience: SignInAudience) => {
      const clientId = `${signInAudience.length.toString().padStart(8, '0')}-0000-4000-8000-${randomBytes(6).toString('hex')}`;
      emulator.registerApp({
        clientId,
        displayName: `${signInAudience} app`,
        secrets: [{ value: 'x'.repeat(40), expiresAt: clock + 1e9 }],
        redirectUris: [DEFAULT_REDIRECT_URI],
        signInAudience,
        homeTenantId: DEFAULT_WORK_TENANT_ID,
      });
      return clientId;
    };

    it('sends a personal-only app used with /common or /organizations to /consumers (AADSTS9002331)', async () => {
      const clientId = appWith('PersonalMicrosoftAccount');
      for (const tenant of ['common', 'organizations']) {
        const res = await get(authorizeUrl(tenant, { client_id: clientId }));
        expect(res.location?.searchParams.get('error')).toBe('invalid_request');
        expect(res.location?.searchParams.get('error_description')).toContain(
          `AADSTS9002331: Application '${clientId}'(PersonalMicrosoftAccount app) is configured for use by Microsoft Account users only. Please use the /consumers endpoint to serve this request.`,
        );
      }
      expect(
        (await get(authorizeUrl('consumers', { client_id: clientId }))).location?.searchParams.has('code'),
      ).toBe(true);
    });

    it('refuses a work account on a personal-only app (AADSTS50020)', async () => {
      const clientId = appWith('PersonalMicrosoftAccount');
      emulator.nextSignIn({ userOid: DEFAULT_WORK_USER.oid, outcome: 'consent' });
      const res = await get(authorizeUrl('consumers', { client_id: clientId }));
      expect(res.status).toBe(400);
      expect(res.text).toContain(`AADSTS50020: User account &#39;${DEFAULT_WORK_USER.upn}&#39;`);
    });

    it('refuses /consumers for an Entra-only app (AADSTS9002332) and /common for a single-tenant app (AADSTS50194)', async () => {
      const clientId = appWith('AzureADMyOrg');
      const consumers = await get(authorizeUrl('consumers', { client_id: clientId }));
      expect(consumers.location?.searchParams.get('error_description')).toMatch(
        /^AADSTS9002332: .*is configured for use by Azure Active Directory users only/,
      );
      const common = await get(authorizeUrl('common', { client_id: clientId }));
      expect(common.location?.searchParams.get('error_description')).toMatch(/^AADSTS50194: /);
    });

    it('refuses a personal account on a single-tenant app in its tenant (AADSTS50020)', async () => {
      const clientId = appWith('AzureADMyOrg');
      emulator.nextSignIn({ userOid: DEFAULT_PERSONAL_USER.oid, outcome: 'consent' });
      const res = await get(authorizeUrl(DEFAULT_WORK_TENANT_ID, { client_id: clientId }));
      expect(res.status).toBe(400);
      expect(res.text).toContain('from identity provider &#39;live.com&#39; does not exist in tenant');
      expect(
        (await get(authorizeUrl(DEFAULT_WORK_TENANT_ID, { client_id: clientId }))).location?.searchParams.has(
          'code',
        ),
      ).toBe(true);
    });

    it('refuses personal accounts on /organizations and on multi-org apps (AADSTS500200)', async () => {
      emulator.nextSignIn({ userOid: DEFAULT_PERSONAL_USER.oid, outcome: 'consent' });
      const organizations = await get(authorizeUrl('organizations'));
      expect(organizations.text).toContain(
        'AADSTS500200: User account &#39;pat.personal@outlook.com&#39; is a personal Microsoft account.',
      );
      const clientId = appWith('AzureADMultipleOrgs');
      const res = await get(
        authorizeUrl('common', { client_id: clientId, login_hint: DEFAULT_PERSONAL_USER.upn }),
      );
      expect(res.text).toContain('AADSTS500200');
    });

    it('refuses a work account on /consumers', async () => {
      emulator.nextSignIn({ userOid: DEFAULT_WORK_USER.oid, outcome: 'consent' });
      const res = await get(authorizeUrl('consumers'));
      expect(res.status).toBe(400);
      expect(res.text).toContain('does not exist in tenant &#39;Microsoft Services&#39;');
    });
  });

  describe('interactive consent', () => {
    beforeEach(() => emulator.setConsentMode('interactive'));

    it('renders a self-contained page with labelled accounts and Accept/Cancel buttons', async () => {
      const res = await get(authorizeUrl('common'));
      expect(res.status).toBe(200);
      expect(res.text).toMatch(/<label for="account-\d">Pat Personal \(pat\.personal@outlook\.com\)/);
      expect(res.text).toMatch(/<label for="account-\d">Wendy Work/);
      expect(res.text).toContain('<button type="submit" name="decision" value="accept">Accept</button>');
      expect(res.text).toContain('<button type="submit" name="decision" value="cancel">Cancel</button>');
      expect(res.text).not.toMatch(/(src|href)=|https?:\/\/(?!localhost)/);
    });

    const submit = async (page: string, decision: string, user?: string) => {
      const action = /<form method="post" action="([^"]+)"/.exec(page)![1];
      const request = /name="request" value="([^"]+)"/.exec(page)![1];
      const form = new URLSearchParams({ request, decision, ...(user ? { user } : {}) });
      const res = await fetch(`${base()}${action}`, { method: 'POST', body: form, redirect: 'manual' });
      return new URL(res.headers.get('location')!);
    };

    it('issues a code for the account picked on Accept', async () => {
      const page = (await get(authorizeUrl('common'))).text;
      const callback = await submit(page, 'accept', DEFAULT_WORK_USER.oid);
      expect(callback.searchParams.get('state')).toBe('state-42');
      expect(emulator.grants.codes.get(callback.searchParams.get('code')!)?.oid).toBe(DEFAULT_WORK_USER.oid);
    });

    it('redirects access_denied on Cancel', async () => {
      const page = (await get(authorizeUrl('common'))).text;
      expect((await submit(page, 'cancel')).searchParams.get('error')).toBe('access_denied');
    });
  });
});

describe('token endpoint', () => {
  it('redeems a code once (AADSTS54005 on reuse)', async () => {
    const { code, verifier: v } = await codeFor();
    const first = await redeem(code, v);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, ext_expires_in: 3600 });
    expect(first.body.refresh_token).toEqual(expect.any(String));
    expect(JSON.parse(Buffer.from(first.body.client_info as string, 'base64url').toString())).toEqual({
      uid: DEFAULT_PERSONAL_USER.oid,
      utid: CONSUMER_TENANT_ID,
    });
    const again = await redeem(code, v);
    expect(again.status).toBe(400);
    expectAadError(again.body, 54005, 'invalid_grant');
  });

  it('expires codes after ten minutes (AADSTS70008)', async () => {
    const { code, verifier: v } = await codeFor();
    clock += 10 * 60 * 1000;
    const res = await redeem(code, v);
    expectAadError(res.body, 70008, 'invalid_grant');
  });

  it('requires the redirect URI used at authorize', async () => {
    const { code, verifier: v } = await codeFor();
    const res = await redeem(code, v, { redirect_uri: 'http://localhost:7071/api/other' });
    expectAadError(res.body, 500112, 'invalid_grant');
    expect(res.body.error_description).toContain(
      "does not match the reply address 'http://localhost:7071/api/auth/callback'",
    );
  });

  it('requires a code verifier matching the challenge (AADSTS501481)', async () => {
    const { code } = await codeFor();
    expectAadError((await redeem(code, verifier())).body, 501481, 'invalid_grant');
  });

  it('omits the refresh token without offline_access', async () => {
    const { code, verifier: v } = await codeFor('common', { scope: 'openid Files.ReadWrite.All' });
    const res = await redeem(code, v, { scope: 'openid Files.ReadWrite.All' });
    expect(res.status).toBe(200);
    expect(res.body.refresh_token).toBeUndefined();
  });

  it('authenticates clients by HTTP Basic too', async () => {
    const basic = Buffer.from(`${DEFAULT_CLIENT_ID}:${encodeURIComponent(DEFAULT_CLIENT_SECRET)}`).toString(
      'base64',
    );
    const res = await token(
      DEFAULT_WORK_TENANT_ID,
      { grant_type: 'client_credentials', scope: 'https://vault.azure.net/.default' },
      { Authorization: `Basic ${basic}` },
    );
    expect(res.status).toBe(200);
    expect(decodeJwt(res.body.access_token as string)).toMatchObject({
      idtyp: 'app',
      aud: 'https://vault.azure.net',
    });
  });

  it('answers an unknown client, a secret ID sent as the secret, and an expired secret like Entra', async () => {
    const fields = { grant_type: 'client_credentials', scope: 'https://vault.azure.net/.default' };
    const unknown = await token(DEFAULT_WORK_TENANT_ID, { ...fields, client_id: 'nope', client_secret: 'x' });
    expect(unknown.status).toBe(400);
    expectAadError(unknown.body, 700016, 'unauthorized_client');

    const wrong = await token(DEFAULT_WORK_TENANT_ID, {
      ...fields,
      client_id: DEFAULT_CLIENT_ID,
      client_secret: DEFAULT_CLIENT_SECRET_ID,
    });
    expect(wrong.status).toBe(401);
    expectAadError(wrong.body, 7000215, 'invalid_client');
    expect(wrong.body.error_description).toContain(
      `Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${DEFAULT_CLIENT_ID}'.`,
    );

    const clientId = 'e0e0e0e0-0000-4000-8000-000000000001';
    emulator.registerApp({
      clientId,
      secrets: [{ value: 'expiring-secret-value', expiresAt: clock + 1000 }],
      redirectUris: [DEFAULT_REDIRECT_URI],
      signInAudience: 'AzureADMultipleOrgs',
      homeTenantId: DEFAULT_WORK_TENANT_ID,
    });
    const fresh = await token(DEFAULT_WORK_TENANT_ID, {
      ...fields,
      client_id: clientId,
      client_secret: 'expiring-secret-value',
    });
    expect(fresh.status).toBe(200);
    emulator.expireClientSecret(clientId);
    const expired = await token(DEFAULT_WORK_TENANT_ID, {
      ...fields,
      client_id: clientId,
      client_secret: 'expiring-secret-value',
    });
    expect(expired.status).toBe(401);
    expectAadError(expired.body, 7000222, 'invalid_client');
  });

  it('refuses client credentials scopes without /.default (AADSTS1002012) and before admin consent (AADSTS65001)', async () => {
    const auth = {
      client_id: DEFAULT_CLIENT_ID,
      client_secret: DEFAULT_CLIENT_SECRET,
      grant_type: 'client_credentials',
    };
    const bad = await token(DEFAULT_WORK_TENANT_ID, { ...auth, scope: 'Files.ReadWrite.All' });
    expectAadError(bad.body, 1002012, 'invalid_scope');
    const otherTenant = 'c0ffee00-0000-4000-8000-000000000002';
    emulator.addUser({
      oid: 'c0ffee00-0000-4000-8000-0000000000a1',
      upn: 'o@fabrikam.example',
      displayName: 'O',
      accountType: 'work',
      tenantId: otherTenant,
    });
    const refused = await token(otherTenant, { ...auth, scope: 'https://graph.microsoft.com/.default' });
    expect(refused.status).toBe(400);
    expectAadError(refused.body, 65001, 'invalid_grant');
    emulator.grantAdminConsent(DEFAULT_CLIENT_ID, otherTenant);
    const allowed = await token(otherTenant, { ...auth, scope: 'https://graph.microsoft.com/.default' });
    expect(decodeJwt(allowed.body.access_token as string)).toMatchObject({
      tid: otherTenant,
      roles: expect.arrayContaining(['Files.ReadWrite.All']),
    });
  });

  const injected: Array<[number, string, number, string | undefined]> = [
    [50011, 'invalid_request', 400, undefined],
    [700025, 'invalid_client', 401, undefined],
    [9002331, 'invalid_request', 400, undefined],
    [9002332, 'invalid_request', 400, undefined],
    [7000215, 'invalid_client', 401, undefined],
    [7000222, 'invalid_client', 401, undefined],
    [70008, 'invalid_grant', 400, undefined],
    [700082, 'invalid_grant', 400, 'bad_token'],
    [65001, 'invalid_grant', 400, 'consent_required'],
    [50076, 'invalid_grant', 400, 'basic_action'],
    [50079, 'invalid_grant', 400, 'basic_action'],
    [53003, 'interaction_required', 400, 'message_only'],
  ];
  it.each(injected)(
    'fails the next token call with AADSTS%i as %s (%i)',
    async (code, error, status, suberror) => {
      emulator.failNextToken(code);
      const res = await token(DEFAULT_WORK_TENANT_ID, {
        grant_type: 'client_credentials',
        client_id: DEFAULT_CLIENT_ID,
        client_secret: DEFAULT_CLIENT_SECRET,
        scope: 'https://vault.azure.net/.default',
      });
      expect(res.status).toBe(status);
      expectAadError(res.body, code, error);
      expect(res.body.suberror).toBe(suberror);
      expect(res.body.error_description).toContain(
        `AADSTS${code}: ${AADSTS.get(code)!.message({ appId: DEFAULT_CLIENT_ID, appName: DEFAULT_APP_NAME }).slice(0, 40)}`,
      );
    },
  );

  it('echoes the client request id as the correlation id', async () => {
    emulator.failNextToken(53003);
    const id = '0b1c2d3e-4f50-4617-8899-aabbccddeeff';
    const res = await token(
      DEFAULT_WORK_TENANT_ID,
      { grant_type: 'client_credentials' },
      { 'client-request-id': id },
    );
    expect(res.body.correlation_id).toBe(id);
    expect(res.body.error_description).toContain(`Correlation ID: ${id}`);
  });
});

describe('introspect', () => {
  async function userAccessToken(): Promise<{ access: string; id: string }> {
    const { code, verifier: v } = await codeFor('organizations');
    const res = await redeem(code, v);
    return { access: res.body.access_token as string, id: res.body.id_token as string };
  }

  it('accepts a valid token and rejects tampered, foreign and id tokens', async () => {
    const { access, id } = await userAccessToken();
    expect(emulator.introspect(access)).toMatchObject({
      oid: DEFAULT_WORK_USER.oid,
      tenantId: DEFAULT_WORK_TENANT_ID,
    });
    const [h, p, s] = access.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, oid: DEFAULT_PERSONAL_USER.oid })).toString(
      'base64url',
    );
    expect(emulator.introspect(`${h}.${forged}.${s}`)).toBeUndefined();
    expect(emulator.introspect(access.slice(0, -2) + (access.endsWith('AA') ? 'BB' : 'AA'))).toBeUndefined();
    expect(new IdentityEmulator().introspect(access)).toBeUndefined();
    expect(emulator.introspect(id)).toBeUndefined();
    expect(emulator.introspect('not-a-token')).toBeUndefined();
  });

  it('rejects expired tokens', async () => {
    const { access } = await userAccessToken();
    const exp = (decodeJwt(access).exp as number) * 1000;
    clock = exp - 1;
    expect(emulator.introspect(access)).toBeDefined();
    clock = exp;
    expect(emulator.introspect(access)).toBeUndefined();
  });
});

describe('discovery and control routes', () => {
  it('serves OpenID configuration and instance discovery pointing at the emulator', async () => {
    const config = await (await fetch(`${base()}/consumers/v2.0/.well-known/openid-configuration`)).json();
    expect(config).toMatchObject({
      token_endpoint: `${base()}/consumers/oauth2/v2.0/token`,
      authorization_endpoint: `${base()}/consumers/oauth2/v2.0/authorize`,
    });
    const instance = await (await fetch(`${base()}/common/discovery/instance?api-version=1.1`)).json();
    expect(instance.metadata[0].aliases).toEqual([new URL(base()).host]);
  });

  it('takes scripted failures over HTTP and reports state without secrets', async () => {
    const control = { [CONTROL_KEY_HEADER]: emulator.server.controlKey };
    const post = (path: string, body: unknown) =>
      fetch(`${base()}/_emulator/identity/${path}`, {
        method: 'POST',
        headers: control,
        body: JSON.stringify(body),
      });
    expect((await post('fail-next-token', { code: 700082 })).status).toBe(200);
    const before = emulator.tokenRequests();
    const res = await token('common', { grant_type: 'refresh_token', refresh_token: 'whatever' });
    expectAadError(res.body, 700082, 'invalid_grant');
    expect(emulator.tokenRequests() - before).toBe(1);
    expect(emulator.server.count('POST', /\/oauth2\/v2\.0\/token$/)).toBeGreaterThan(0);

    expect((await post('consent-mode', { mode: 'interactive' })).status).toBe(200);
    expect((await get(authorizeUrl('common'))).text).toContain('Permissions requested');

    const stateText = await (await fetch(`${base()}/_emulator/identity/state`, { headers: control })).text();
    expect(stateText).not.toContain(DEFAULT_CLIENT_SECRET);
    const state = JSON.parse(stateText);
    expect(state.apps[0]).toMatchObject({
      clientId: DEFAULT_CLIENT_ID,
      redirectUris: [DEFAULT_REDIRECT_URI],
    });
    expect(state.counters.token).toBe(emulator.tokenRequests());
    expect(state.consentMode).toBe('interactive');
  });
});
