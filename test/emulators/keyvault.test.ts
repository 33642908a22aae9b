// The Key Vault emulator driven by the real SecretClient: what the product's secrets layer will see.
import { SecretClient } from '@azure/keyvault-secrets';
import { KeyVaultEmulator, DEFAULT_TENANT_ID } from '../../emulators/keyvault';
import type { Principal } from '../../emulators/shared/principal';

type Credential = ConstructorParameters<typeof SecretClient>[1];
type GetTokenOptions = Parameters<Credential['getToken']>[1];

/** A credential that hands out a fixed token and remembers what it was asked for. */
function staticCredential(
  token = 'x',
): Credential & { calls: { scopes: string[]; options?: GetTokenOptions }[] } {
  const calls: { scopes: string[]; options?: GetTokenOptions }[] = [];
  return {
    calls,
    getToken: async (scopes, options) => {
      calls.push({ scopes: Array.isArray(scopes) ? scopes : [scopes], options });
      return { token, expiresOnTimestamp: Date.now() + 3600e3 };
    },
  };
}

function clientFor(emulator: KeyVaultEmulator, credential: Credential = staticCredential()): SecretClient {
  // The emulator is not on *.vault.azure.net, so the challenge's resource cannot match the host.
  return new SecretClient(emulator.vaultUrl, credential, { disableChallengeResourceVerification: true });
}

let counter = 0;
const uniqueSecretName = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${++counter}`;

describe('Key Vault emulator with the real SecretClient', () => {
  // A controllable clock: tests move time instead of sleeping.
  let clockMs = Date.UTC(2026, 0, 15, 12, 0, 0);
  const emulator = new KeyVaultEmulator({ now: () => clockMs });
  let client: SecretClient;

  beforeAll(async () => {
    await emulator.start();
    client = clientFor(emulator);
  });
  afterAll(() => emulator.stop());

  it('answers the first, unauthenticated request with the challenge, and the SDK gets through it', async () => {
    const credential = staticCredential();
    const fresh = clientFor(emulator, credential);
    const name = uniqueSecretName('challenge');
    const before = emulator.server.requests.length;

    const secret = await fresh.setSecret(name, 'v1');

    const puts = emulator.server.requests.slice(before).filter((r) => r.method === 'PUT');
    expect(puts.map((r) => r.status)).toEqual([401, 200]);
    expect(secret.value).toBe('v1');
    // The SDK asked for a token for the challenge's resource and tenant.
    expect(credential.calls).toHaveLength(1);
    expect(credential.calls[0].scopes).toEqual(['https://vault.azure.net/.default']);
    expect(credential.calls[0].options?.tenantId).toBe(DEFAULT_TENANT_ID);
    // The 401 reached no operation: only the authenticated retry counts.
    expect(emulator.secret(name)?.versions).toHaveLength(1);
  });

  it('creates a new version on every set, and gets the latest or a given version', async () => {
    const name = uniqueSecretName('versions');
    const first = await client.setSecret(name, 'one', { contentType: 'text/plain', tags: { kind: 'test' } });
    const second = await client.setSecret(name, 'two');

    expect(first.properties.version).toMatch(/^[0-9a-f]{32}$/);
    expect(second.properties.version).not.toBe(first.properties.version);
    expect(first.properties.id).toBe(`${emulator.vaultUrl}secrets/${name}/${first.properties.version}`);
    expect(first.properties.contentType).toBe('text/plain');
    expect(first.properties.tags).toEqual({ kind: 'test' });
    expect(first.properties.recoveryLevel).toBe('Recoverable+Purgeable');
    expect(first.properties.recoverableDays).toBe(90);
    expect(first.properties.createdOn).toEqual(new Date(Math.floor(clockMs / 1000) * 1000));

    const latest = await client.getSecret(name);
    expect(latest.value).toBe('two');
    expect(latest.properties.version).toBe(second.properties.version);
    const older = await client.getSecret(name, { version: first.properties.version! });
    expect(older.value).toBe('one');
    expect(emulator.secret(name)?.versions.map((v) => v.value)).toEqual(['one', 'two']);
  });

  it('round-trips exp and nbf as Dates, stored as Unix seconds, and still returns an expired secret', async () => {
    const name = uniqueSecretName('expiry');
    const expiresOn = new Date('2026-01-01T00:00:00Z'); // before the emulator's clock: already expired
    const notBefore = new Date('2025-06-01T08:30:00Z');

    await client.setSecret(name, 'secret', { expiresOn, notBefore });

    const stored = emulator.secret(name)!.versions[0].attributes;
    expect(stored.exp).toBe(expiresOn.getTime() / 1000);
    expect(stored.nbf).toBe(notBefore.getTime() / 1000);
    // The service does not enforce exp/nbf on a secret's get; the product checks expiry itself.
    const got = await client.getSecret(name);
    expect(got.value).toBe('secret');
    expect(got.properties.expiresOn).toEqual(expiresOn);
    expect(got.properties.notBefore).toEqual(notBefore);
  });

  it('lists versions and secrets without values, page by page through nextLink', async () => {
    const name = uniqueSecretName('paging');
    const created: string[] = [];
    for (let i = 0; i < 5; i++) created.push((await client.setSecret(name, `v${i}`)).properties.version!);

    const pages: string[][] = [];
    for await (const page of client.listPropertiesOfSecretVersions(name).byPage({ maxPageSize: 2 })) {
      pages.push(page.map((p) => p.version!));
    }
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat().sort()).toEqual([...created].sort());

    const all: string[] = [];
    for await (const properties of client.listPropertiesOfSecretVersions(name)) {
      expect((properties as { value?: unknown }).value).toBeUndefined();
      all.push(properties.version!);
    }
    expect(all.sort()).toEqual([...created].sort());

    const names: string[] = [];
    for await (const page of client.listPropertiesOfSecrets().byPage({ maxPageSize: 1 })) {
      expect(page.length).toBeLessThanOrEqual(1);
      names.push(...page.map((p) => p.name));
    }
    expect(names).toContain(name);
  });

  it('updates properties of a version and of the latest, moving `updated`', async () => {
    const name = uniqueSecretName('update');
    const set = await client.setSecret(name, 'value');
    clockMs += 60_000;
    const expiresOn = new Date('2027-03-04T05:06:07Z');

    const updated = await client.updateSecretProperties(name, set.properties.version!, {
      contentType: 'application/json',
      tags: { rotated: 'yes' },
      expiresOn,
    });

    expect(updated.updatedOn!.getTime() - set.properties.updatedOn!.getTime()).toBe(60_000);
    expect(updated.expiresOn).toEqual(expiresOn);
    const got = await client.getSecret(name);
    expect(got.value).toBe('value');
    expect(got.properties.tags).toEqual({ rotated: 'yes' });
    expect(got.properties.contentType).toBe('application/json');

    // An empty version patches `/secrets/{name}/`: the latest version.
    await client.updateSecretProperties(name, '', { tags: { latest: 'patched' } });
    expect(emulator.secret(name)!.versions[0].tags).toEqual({ latest: 'patched' });
  });

  it('refuses a disabled version with 403 Forbidden / SecretDisabled, and serves it again once enabled', async () => {
    const name = uniqueSecretName('disabled');
    const set = await client.setSecret(name, 'value', { enabled: false });

    const error = await client.getSecret(name).catch((e: unknown) => e);
    expect(error).toMatchObject({
      statusCode: 403,
      code: 'Forbidden',
      message: 'Operation get is not allowed on a disabled secret.',
      details: { error: { innerError: { code: 'SecretDisabled' } } },
    });

    await client.updateSecretProperties(name, set.properties.version!, { enabled: true });
    expect((await client.getSecret(name)).value).toBe('value');
  });

  it('answers an unknown secret or version with 404 SecretNotFound', async () => {
    await expect(client.getSecret(uniqueSecretName('missing'))).rejects.toMatchObject({
      statusCode: 404,
      code: 'SecretNotFound',
      message: expect.stringContaining('was not found in this key vault'),
    });
    const name = uniqueSecretName('known');
    await client.setSecret(name, 'v');
    await expect(client.getSecret(name, { version: '0'.repeat(32) })).rejects.toMatchObject({
      statusCode: 404,
      code: 'SecretNotFound',
    });
  });

  it('soft-deletes through the poller, refuses reuse of the name, recovers, and purges', async () => {
    const name = uniqueSecretName('lifecycle');
    await client.setSecret(name, 'keep-me');

    const deletePoller = await client.beginDeleteSecret(name, { intervalInMs: 0 });
    const deleted = await deletePoller.pollUntilDone();
    expect(deleted.recoveryId).toBe(`${emulator.vaultUrl}deletedsecrets/${name}`);
    expect(deleted.deletedOn).toEqual(new Date(Math.floor(clockMs / 1000) * 1000));
    expect(deleted.scheduledPurgeDate!.getTime() - deleted.deletedOn!.getTime()).toBe(90 * 24 * 3600e3);
    expect(deleted.value).toBeUndefined();

    await expect(client.getSecret(name)).rejects.toMatchObject({ statusCode: 404, code: 'SecretNotFound' });
    await expect(client.setSecret(name, 'again')).rejects.toMatchObject({
      statusCode: 409,
      code: 'Conflict',
      details: { error: { innerError: { code: 'ObjectIsDeletedButRecoverable' } } },
    });
    expect((await client.getDeletedSecret(name)).properties.recoveryId).toBe(deleted.recoveryId);

    const recoverPoller = await client.beginRecoverDeletedSecret(name, { intervalInMs: 0 });
    await recoverPoller.pollUntilDone();
    expect((await client.getSecret(name)).value).toBe('keep-me');

    await (await client.beginDeleteSecret(name, { intervalInMs: 0 })).pollUntilDone();
    await client.purgeDeletedSecret(name);
    await expect(client.getDeletedSecret(name)).rejects.toMatchObject({ statusCode: 404 });
    expect(emulator.secret(name)).toBeUndefined();
    const reborn = await client.setSecret(name, 'fresh');
    expect(emulator.secret(name)!.versions.map((v) => v.version)).toEqual([reborn.properties.version]);
  });

  it('refuses a name outside ^[0-9a-zA-Z-]{1,127}$ with 400 BadParameter', async () => {
    await expect(client.setSecret('bad_name', 'v')).rejects.toMatchObject({
      statusCode: 400,
      code: 'BadParameter',
      message: 'The request URI contains an invalid name: bad_name',
    });
    await expect(client.setSecret('a'.repeat(128), 'v')).rejects.toMatchObject({ statusCode: 400 });
    expect(emulator.secret('bad_name')).toBeUndefined();
  });

  it('is retried by the SDK after a 429 with Retry-After, which it waits for', async () => {
    const name = uniqueSecretName('throttled');
    await client.setSecret(name, 'v');
    emulator.server.faults.failNext(429, {
      method: 'GET',
      path: `^/secrets/${name}/$`,
      retryAfterSeconds: 1,
      code: 'Throttled',
    });
    const before = emulator.server.requests.length;

    expect((await client.getSecret(name)).value).toBe('v');

    const gets = emulator.server.requests.slice(before).filter((r) => r.method === 'GET');
    expect(gets.map((r) => r.status)).toEqual([429, 200]);
    expect(gets[1].at - gets[0].at).toBeGreaterThanOrEqual(950);
  });
});

describe('Key Vault emulator with an authorize hook', () => {
  const principal = (audience: string): Principal => ({
    oid: 'oid',
    tenantId: 'tenant',
    appId: 'app',
    appOnly: true,
    accountType: 'work',
    scopes: [],
    audience,
    expiresAt: Date.now() + 3600e3,
  });
  const tokens: Record<string, Principal> = {
    'vault-token': principal('https://vault.azure.net'),
    'graph-token': principal('https://graph.microsoft.com'),
  };
  const emulator = new KeyVaultEmulator({ authorize: (token) => tokens[token] });

  beforeAll(() => emulator.start());
  afterAll(() => emulator.stop());

  it('accepts a token for the vault and refuses one for another audience with 401', async () => {
    const name = uniqueSecretName('audience');
    await clientFor(emulator, staticCredential('vault-token')).setSecret(name, 'v');

    const wrong = clientFor(emulator, staticCredential('graph-token'));
    await expect(wrong.getSecret(name)).rejects.toMatchObject({
      statusCode: 401,
      code: 'Unauthorized',
      message: expect.stringContaining('AKV10022: Invalid audience'),
    });
    await expect(clientFor(emulator, staticCredential('unknown')).getSecret(name)).rejects.toMatchObject({
      statusCode: 401,
    });
    expect(emulator.callCount.getSecret).toBe(0);
    expect(emulator.callCount.setSecret).toBe(1);
  });
});
