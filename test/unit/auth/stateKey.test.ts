import { stateKeyProvider } from '../../../src/auth/stateKey';
import { OAUTH_STATE_KEY_SECRET } from '../../../src/secrets/names';
import { MemorySecretStore } from '../../../src/secrets/secretStore';

describe('stateKeyProvider', () => {
  it('creates one 32-byte key as oauth-state-key on first use and keeps using it', async () => {
    const secrets = new MemorySecretStore();
    const first = await stateKeyProvider(secrets).latest();
    const again = await stateKeyProvider(secrets).latest();
    const stored = secrets.versions.get(OAUTH_STATE_KEY_SECRET);
    expect(stored).toHaveLength(1);
    expect(stored![0].contentType).toBe('oauth-state-hmac-key');
    expect(first.key).toHaveLength(32);
    expect(again).toEqual(first);
  });

  it('opens a state made under an older version after the key rotates', async () => {
    const secrets = new MemorySecretStore();
    const old = await stateKeyProvider(secrets).latest();
    await secrets.setSecret(OAUTH_STATE_KEY_SECRET, Buffer.alloc(32, 7).toString('base64'));
    const fresh = stateKeyProvider(secrets);
    expect((await fresh.latest()).key).toEqual(Buffer.alloc(32, 7));
    expect(await fresh.version(old.version)).toEqual(old.key);
    expect(await fresh.version('no-such-version')).toBeUndefined();
  });
});
