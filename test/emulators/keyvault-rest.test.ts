// The Key Vault emulator at the HTTP level: the exact wire shapes the SDK hides, retention on the
// injectable clock, and the control routes other processes use.
import { KeyVaultEmulator, DEFAULT_TENANT_ID } from '../../emulators/keyvault';
import { CONTROL_KEY_HEADER } from '../../emulators/shared/server';

const AUTH = { Authorization: 'Bearer x' };

interface Reply {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function call(url: string, init: RequestInit = {}): Promise<Reply> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

function put(url: string, body: unknown): Promise<Reply> {
  return call(url, {
    method: 'PUT',
    headers: { ...AUTH, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}

let counter = 0;
const uniqueSecretName = (prefix: string) => `${prefix}-${++counter}`;

describe('Key Vault emulator over HTTP', () => {
  let clockMs = Date.UTC(2026, 0, 15, 12, 0, 0);
  const emulator = new KeyVaultEmulator({ now: () => clockMs });
  const url = (path: string, apiVersion: string | null = '7.5') =>
    `${emulator.server.baseUrl}${path}${apiVersion ? `?api-version=${apiVersion}` : ''}`;

  beforeAll(() => emulator.start());
  afterAll(() => emulator.stop());

  it('challenges a request without a token, with the service header and body, and changes nothing', async () => {
    const name = uniqueSecretName('unauth');
    const res = await call(url(`/secrets/${name}`), { method: 'PUT' });

    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(
      `Bearer authorization="https://login.microsoftonline.com/${DEFAULT_TENANT_ID}", resource="https://vault.azure.net"`,
    );
    expect(res.body).toEqual({
      error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' },
    });
    expect(emulator.callCount.setSecret).toBe(0);
    expect(emulator.secret(name)).toBeUndefined();
  });

  it('requires a known api-version, read from the percent-encoded key the SDK sends', async () => {
    const name = uniqueSecretName('apiversion');
    const missing = await call(url(`/secrets/${name}`, null), { headers: AUTH });
    expect(missing.status).toBe(400);
    expect(missing.body.error.code).toBe('BadParameter');

    const unknown = await call(url(`/secrets/${name}`, '9.9'), { headers: AUTH });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toBe(
      'The specified version (9.9) is not recognized. Consider using the latest supported version (2025-07-01).',
    );

    await put(url(`/secrets/${name}`), { value: 'v' });
    const encoded = await call(`${emulator.server.baseUrl}/secrets/${name}/?api%2Dversion=2025-07-01`, {
      headers: AUTH,
    });
    expect(encoded.status).toBe(200);
    expect(encoded.body.value).toBe('v');
  });

  it('answers a set with the full SecretBundle, times in Unix seconds', async () => {
    const name = uniqueSecretName('bundle');
    const res = await put(url(`/secrets/${name}`), {
      value: 'v',
      contentType: 'text/plain',
      tags: { a: 'b' },
      attributes: { enabled: true, exp: 1900000000, nbf: 1700000000 },
    });
    const now = Math.floor(clockMs / 1000);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      value: 'v',
      id: expect.stringMatching(new RegExp(`^${emulator.server.baseUrl}/secrets/${name}/[0-9a-f]{32}$`)),
      contentType: 'text/plain',
      tags: { a: 'b' },
      attributes: {
        enabled: true,
        nbf: 1700000000,
        exp: 1900000000,
        created: now,
        updated: now,
        recoverableDays: 90,
        recoveryLevel: 'Recoverable+Purgeable',
      },
    });
  });

  it('refuses a value over 25,600 bytes and a body without a value', async () => {
    const name = uniqueSecretName('size');
    expect((await put(url(`/secrets/${name}`), { value: 'x'.repeat(25 * 1024) })).status).toBe(200);
    const big = await put(url(`/secrets/${name}`), { value: 'x'.repeat(25 * 1024 + 1) });
    expect(big.status).toBe(400);
    expect(big.body.error.code).toBe('BadParameter');
    expect((await put(url(`/secrets/${name}`), { contentType: 'x' })).status).toBe(400);
    expect(emulator.secret(name)?.versions).toHaveLength(1);
  });

  it('pages with an absolute nextLink carrying api-version, $skiptoken and maxresults, null at the end', async () => {
    const name = uniqueSecretName('pages');
    for (let i = 0; i < 3; i++) await put(url(`/secrets/${name}`), { value: `v${i}` });

    const first = await call(`${url(`/secrets/${name}/versions`)}&maxresults=2`, { headers: AUTH });
    expect(first.body.value).toHaveLength(2);
    const next = new URL(first.body.nextLink);
    expect(next.origin + next.pathname).toBe(`${emulator.server.baseUrl}/secrets/${name}/versions`);
    expect(next.searchParams.get('api-version')).toBe('7.5');
    expect(next.searchParams.get('maxresults')).toBe('2');
    expect(next.searchParams.get('$skiptoken')).toBeTruthy();

    const second = await call(first.body.nextLink, { headers: AUTH });
    expect(second.body.value).toHaveLength(1);
    expect(second.body.nextLink).toBeNull();
    for (const item of [...first.body.value, ...second.body.value]) {
      expect(item.value).toBeUndefined();
      expect(item.id).toMatch(new RegExp(`/secrets/${name}/[0-9a-f]{32}$`));
    }

    const tooMany = await call(`${url(`/secrets/${name}/versions`)}&maxresults=26`, { headers: AUTH });
    expect(tooMany.status).toBe(400);
  });

  it('purges a soft-deleted secret by itself once the 90-day retention has passed', async () => {
    const name = uniqueSecretName('retention');
    await put(url(`/secrets/${name}`), { value: 'v' });
    const deleted = await call(url(`/secrets/${name}`), { method: 'DELETE', headers: AUTH });
    expect(deleted.body.scheduledPurgeDate - deleted.body.deletedDate).toBe(90 * 24 * 3600);

    clockMs += 90 * 24 * 3600e3 - 1000;
    expect((await call(url(`/deletedsecrets/${name}`), { headers: AUTH })).status).toBe(200);
    clockMs += 1000;
    expect((await call(url(`/deletedsecrets/${name}`), { headers: AUTH })).status).toBe(404);
    expect((await put(url(`/secrets/${name}`), { value: 'new' })).status).toBe(200);
  });

  it('treats names case-insensitively, as the service does', async () => {
    const name = uniqueSecretName('MixedCase');
    await put(url(`/secrets/${name}`), { value: 'v' });
    const got = await call(url(`/secrets/${name.toLowerCase()}`), { headers: AUTH });
    expect(got.status).toBe(200);
    expect(got.body.value).toBe('v');
  });

  it('reports state without values and sets attributes for other processes', async () => {
    const name = uniqueSecretName('control');
    const value = 'do-not-leak-this-value';
    await put(url(`/secrets/${name}`), { value });

    const control = { [CONTROL_KEY_HEADER]: emulator.server.controlKey };
    const set = await call(`${emulator.server.baseUrl}/_emulator/keyvault/secrets/${name}/attributes`, {
      method: 'POST',
      headers: control,
      body: JSON.stringify({ exp: 1234567890, enabled: false }),
    });
    expect(set.status).toBe(200);
    expect(set.body.attributes).toMatchObject({ exp: 1234567890, enabled: false });

    const state = await call(`${emulator.server.baseUrl}/_emulator/keyvault/state`, { headers: control });
    expect(JSON.stringify(state.body)).not.toContain(value);
    const entry = state.body.secrets.find((s: { name: string }) => s.name === name);
    expect(entry.versions).toHaveLength(1);
    expect(entry.versions[0].attributes).toMatchObject({ exp: 1234567890, enabled: false });
    expect(state.body.callCount.setSecret).toBeGreaterThan(0);

    const got = await call(url(`/secrets/${name}`), { headers: AUTH });
    expect(got.status).toBe(403);
    expect(got.body.error).toEqual({
      code: 'Forbidden',
      message: 'Operation get is not allowed on a disabled secret.',
      innererror: { code: 'SecretDisabled' },
    });

    const unknown = await call(
      `${emulator.server.baseUrl}/_emulator/keyvault/secrets/nope-${name}/attributes`,
      { method: 'POST', headers: control, body: '{}' },
    );
    expect(unknown.status).toBe(404);
  });
});
