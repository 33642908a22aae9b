// The identity emulator driven by the real @azure/msal-node client: if MSAL accepts its answers,
// the product's MSAL code will too.
import { ConfidentialClientApplication, CryptoProvider } from '@azure/msal-node';
import {
  CONSUMER_TENANT_ID,
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  DEFAULT_PERSONAL_USER,
  DEFAULT_REDIRECT_URI,
  DEFAULT_WORK_TENANT_ID,
  DEFAULT_WORK_USER,
  IdentityEmulator,
} from '../../emulators/identity';

const SCOPES = ['Files.ReadWrite.All', 'User.Read', 'offline_access'];
const DAY = 24 * 3600 * 1000;

let clock = Date.now();
const emulator = new IdentityEmulator({ now: () => clock });

beforeAll(() => emulator.start());
afterAll(() => emulator.stop());
beforeEach(() => emulator.script.clear());

function msal(tenant: string, clientSecret = DEFAULT_CLIENT_SECRET): ConfidentialClientApplication {
  return new ConfidentialClientApplication({
    auth: { clientId: DEFAULT_CLIENT_ID, clientSecret, ...emulator.msalAuthority(tenant) },
  });
}

/** Follows the authorize URL like a browser that consents automatically; returns the callback URL. */
async function authorize(url: string): Promise<URL> {
  const res = await fetch(url, { redirect: 'manual' });
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location')!);
}

async function signIn(cca: ConfidentialClientApplication, state = 'st-1') {
  const pkce = await new CryptoProvider().generatePkceCodes();
  const url = await cca.getAuthCodeUrl({
    scopes: SCOPES,
    redirectUri: DEFAULT_REDIRECT_URI,
    codeChallenge: pkce.challenge,
    codeChallengeMethod: 'S256',
    state,
  });
  const callback = await authorize(url);
  return { callback, pkce, code: callback.searchParams.get('code')! };
}

function refreshTokenIn(cca: ConfidentialClientApplication): string {
  const cache = JSON.parse(cca.getTokenCache().serialize()) as {
    RefreshToken: Record<string, { secret: string }>;
  };
  const tokens = Object.values(cache.RefreshToken);
  expect(tokens).toHaveLength(1);
  return tokens[0].secret;
}

describe('identity emulator with MSAL', () => {
  it('runs the auth code flow with PKCE for a personal account on /common', async () => {
    const cca = msal('common');
    const { callback, pkce, code } = await signIn(cca, 'xyz');
    expect(callback.origin + callback.pathname).toBe(DEFAULT_REDIRECT_URI);
    expect(callback.searchParams.get('state')).toBe('xyz');

    const result = await cca.acquireTokenByCode({
      code,
      scopes: SCOPES,
      redirectUri: DEFAULT_REDIRECT_URI,
      codeVerifier: pkce.verifier,
    });
    expect(result.account?.homeAccountId).toBe(`${DEFAULT_PERSONAL_USER.oid}.${CONSUMER_TENANT_ID}`);
    expect(result.account?.username).toBe(DEFAULT_PERSONAL_USER.upn);
    expect(result.idTokenClaims).toMatchObject({
      aud: DEFAULT_CLIENT_ID,
      iss: `https://login.microsoftonline.com/${CONSUMER_TENANT_ID}/v2.0`,
      tid: CONSUMER_TENANT_ID,
      ver: '2.0',
    });
    const principal = emulator.introspect(result.accessToken);
    expect(principal).toMatchObject({
      oid: DEFAULT_PERSONAL_USER.oid,
      tenantId: CONSUMER_TENANT_ID,
      appId: DEFAULT_CLIENT_ID,
      appOnly: false,
      accountType: 'personal',
      audience: 'https://graph.microsoft.com',
    });
    expect(principal?.scopes).toEqual(expect.arrayContaining(['Files.ReadWrite.All', 'User.Read']));
  });

  it('signs a work account in on /organizations', async () => {
    const cca = msal('organizations');
    const { pkce, code } = await signIn(cca);
    const result = await cca.acquireTokenByCode({
      code,
      scopes: SCOPES,
      redirectUri: DEFAULT_REDIRECT_URI,
      codeVerifier: pkce.verifier,
    });
    expect(result.account?.tenantId).toBe(DEFAULT_WORK_TENANT_ID);
    expect(emulator.introspect(result.accessToken)?.accountType).toBe('work');
  });

  it('refuses a code verifier that does not match the challenge (AADSTS501481)', async () => {
    const cca = msal('common');
    const { code } = await signIn(cca);
    const other = await new CryptoProvider().generatePkceCodes();
    await expect(
      cca.acquireTokenByCode({
        code,
        scopes: SCOPES,
        redirectUri: DEFAULT_REDIRECT_URI,
        codeVerifier: other.verifier,
      }),
    ).rejects.toMatchObject({
      errorCode: 'invalid_grant',
      errorMessage: expect.stringContaining('AADSTS501481'),
    });
  });

  it('rotates refresh tokens, keeps the old one valid and records each use', async () => {
    const cca = msal('common');
    const { pkce, code } = await signIn(cca);
    await cca.acquireTokenByCode({
      code,
      scopes: SCOPES,
      redirectUri: DEFAULT_REDIRECT_URI,
      codeVerifier: pkce.verifier,
    });
    const first = refreshTokenIn(cca);
    const before = emulator.tokenRequests('refresh_token');

    const second = await msal('common').acquireTokenByRefreshToken({ refreshToken: first, scopes: SCOPES });
    expect(second?.accessToken).toBeTruthy();
    const newest = [...emulator.grants.refreshUses].pop()!;
    expect(newest.presented).toBe(first);
    expect(newest.issued).toBeDefined();
    expect(newest.issued).not.toBe(first);

    // As in Entra, redeeming does not invalidate the presented token.
    await expect(
      msal('common').acquireTokenByRefreshToken({ refreshToken: first, scopes: SCOPES }),
    ).resolves.toBeTruthy();
    expect(emulator.tokenRequests('refresh_token') - before).toBe(2);
    expect(emulator.grants.refreshUses.filter((u) => u.presented === first)).toHaveLength(2);
  });

  it('refuses revoked refresh tokens with invalid_grant', async () => {
    const cca = msal('organizations');
    const { pkce, code } = await signIn(cca);
    await cca.acquireTokenByCode({
      code,
      scopes: SCOPES,
      redirectUri: DEFAULT_REDIRECT_URI,
      codeVerifier: pkce.verifier,
    });
    const token = refreshTokenIn(cca);
    emulator.revokeRefreshTokens(DEFAULT_WORK_USER.oid);
    await expect(
      msal('organizations').acquireTokenByRefreshToken({ refreshToken: token, scopes: SCOPES }),
    ).rejects.toMatchObject({
      errorCode: 'invalid_grant',
      errorMessage: expect.stringContaining('AADSTS50173'),
    });
  });

  it('expires refresh tokens unused for 90 days (AADSTS700082), but use keeps them alive', async () => {
    const cca = msal('common');
    const { pkce, code } = await signIn(cca);
    await cca.acquireTokenByCode({
      code,
      scopes: SCOPES,
      redirectUri: DEFAULT_REDIRECT_URI,
      codeVerifier: pkce.verifier,
    });
    const active = refreshTokenIn(cca);
    await msal('common').acquireTokenByRefreshToken({ refreshToken: active, scopes: SCOPES });
    // The token issued by that refresh is never used again.
    const idle = emulator.grants.refreshUses[emulator.grants.refreshUses.length - 1].issued!;

    clock += 89 * DAY;
    await expect(
      msal('common').acquireTokenByRefreshToken({ refreshToken: active, scopes: SCOPES }),
    ).resolves.toBeTruthy();
    clock += 2 * DAY;
    // `active` was used 2 days ago; `idle` has not been used for 91 days.
    await expect(
      msal('common').acquireTokenByRefreshToken({ refreshToken: active, scopes: SCOPES }),
    ).resolves.toBeTruthy();
    await expect(
      msal('common').acquireTokenByRefreshToken({ refreshToken: idle, scopes: SCOPES }),
    ).rejects.toMatchObject({
      errorCode: 'invalid_grant',
      subError: 'bad_token',
      errorMessage: expect.stringContaining('AADSTS700082: The refresh token has expired due to inactivity.'),
    });
  });

  it('refuses client credentials until admin consent, then issues an app-only token with roles', async () => {
    const cca = msal(DEFAULT_WORK_TENANT_ID);
    const request = { scopes: ['https://graph.microsoft.com/.default'], skipCache: true };
    await expect(cca.acquireTokenByClientCredential(request)).rejects.toMatchObject({
      errorMessage: expect.stringContaining('AADSTS65001'),
    });
    emulator.grantAdminConsent(DEFAULT_CLIENT_ID, DEFAULT_WORK_TENANT_ID, ['Files.ReadWrite.All']);
    const result = await cca.acquireTokenByClientCredential(request);
    expect(emulator.introspect(result!.accessToken)).toMatchObject({
      appOnly: true,
      tenantId: DEFAULT_WORK_TENANT_ID,
      scopes: ['Files.ReadWrite.All'],
      audience: 'https://graph.microsoft.com',
    });
  });

  it('issues Key Vault tokens with the vault audience', async () => {
    const result = await msal(DEFAULT_WORK_TENANT_ID).acquireTokenByClientCredential({
      scopes: ['https://vault.azure.net/.default'],
      skipCache: true,
    });
    expect(emulator.introspect(result!.accessToken)?.audience).toBe('https://vault.azure.net');
  });

  it('surfaces a wrong secret as invalid_client AADSTS7000215', async () => {
    const request = { scopes: ['https://vault.azure.net/.default'], skipCache: true };
    await expect(
      msal(DEFAULT_WORK_TENANT_ID, 'not-the-secret').acquireTokenByClientCredential(request),
    ).rejects.toMatchObject({
      errorCode: 'invalid_client',
      errorMessage: expect.stringContaining('AADSTS7000215'),
    });
  });
});
