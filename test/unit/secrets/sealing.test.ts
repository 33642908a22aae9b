import { DataKeyProvider } from '../../../src/secrets/dataKey';
import { AesGcmSealer } from '../../../src/secrets/sealing';
import { MemorySecretStore } from '../../../src/secrets/secretStore';

function setup(): { secrets: MemorySecretStore; reads: () => number; sealer: AesGcmSealer } {
  const secrets = new MemorySecretStore();
  let reads = 0;
  const get = secrets.getSecret.bind(secrets);
  secrets.getSecret = (name, version) => {
    reads += 1;
    return get(name, version);
  };
  return {
    secrets,
    reads: () => reads,
    sealer: new AesGcmSealer(new DataKeyProvider(secrets, 'test-key', 'test')),
  };
}

describe('AesGcmSealer', () => {
  it('opens what it sealed, and the sealed text holds no plaintext', async () => {
    const { sealer } = setup();
    const secret = 'https://contoso-my.sharepoint.com/personal/up/abc?tempauth=SECRETTOKEN';
    const sealed = await sealer.seal(secret, 'ctx');
    expect(sealed).not.toContain('SECRETTOKEN');
    expect(sealed).not.toContain('sharepoint');
    expect(await sealer.open(sealed, 'ctx')).toBe(secret);
    // A fresh IV each time: the same value never seals to the same text.
    expect(await sealer.seal(secret, 'ctx')).not.toBe(sealed);
  });

  it('refuses a changed byte anywhere in the sealed value', async () => {
    const { sealer } = setup();
    const sealed = await sealer.seal('value', 'ctx');
    const [format, version, data] = sealed.split('.');
    const raw = Buffer.from(data, 'base64url');
    for (const index of [0, 12, 20, raw.length - 1]) {
      const altered = Buffer.from(raw);
      altered[index] ^= 1;
      await expect(
        sealer.open(`${format}.${version}.${altered.toString('base64url')}`, 'ctx'),
      ).rejects.toMatchObject({ code: 'StateInvalid' });
    }
    await expect(sealer.open('not sealed', 'ctx')).rejects.toMatchObject({ code: 'StateInvalid' });
  });

  it('refuses a value moved to another context (another row)', async () => {
    const { sealer } = setup();
    const sealed = await sealer.seal('value', JSON.stringify(['run-1', 'a.bin']));
    await expect(sealer.open(sealed, JSON.stringify(['run-1', 'b.bin']))).rejects.toMatchObject({
      code: 'StateInvalid',
    });
  });

  it('refuses a value whose key version is gone', async () => {
    const { sealer, secrets } = setup();
    const sealed = await sealer.seal('value', 'ctx');
    const other = new AesGcmSealer(new DataKeyProvider(new MemorySecretStore(), 'test-key', 'test'));
    await expect(other.open(sealed, 'ctx')).rejects.toMatchObject({ code: 'StateInvalid' });
    await secrets.deleteSecret('test-key');
    const fresh = new AesGcmSealer(new DataKeyProvider(secrets, 'test-key', 'test'));
    await expect(fresh.open(sealed, 'ctx')).rejects.toMatchObject({ code: 'StateInvalid' });
  });

  it('reads the key from the secret store once, however many values it seals and opens', async () => {
    const { sealer, reads } = setup();
    for (let i = 0; i < 20; i++) await sealer.open(await sealer.seal(`v${i}`, 'ctx'), 'ctx');
    // One read finds nothing, one reads back the key it created; then memory.
    expect(reads()).toBe(2);
  });

  it('opens values sealed with an older key version after a rotation', async () => {
    const { sealer, secrets } = setup();
    const sealed = await sealer.seal('old', 'ctx');
    await secrets.setSecret('test-key', Buffer.alloc(32, 7).toString('base64'));
    const rotated = new AesGcmSealer(new DataKeyProvider(secrets, 'test-key', 'test'));
    expect(await rotated.open(sealed, 'ctx')).toBe('old');
    expect((await rotated.seal('new', 'ctx')).split('.')[1]).not.toBe(sealed.split('.')[1]);
  });
});
