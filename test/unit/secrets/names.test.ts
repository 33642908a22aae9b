import {
  assertSecretName,
  connectionSecretNames,
  isValidSecretName,
  refreshTokenSecretName,
} from '../../../src/secrets/names';
import { isAzureVaultHost, MemorySecretStore } from '../../../src/secrets/secretStore';

describe('secret names', () => {
  it('derives per-connection names that Key Vault accepts', () => {
    const id = '0f8fad5b-d9cb-469f-a165-70867728950e';
    expect(refreshTokenSecretName(id)).toBe(`conn-${id}-refresh-token`);
    for (const name of connectionSecretNames(id)) expect(isValidSecretName(name)).toBe(true);
  });

  it.each(['a_b', 'a.b', 'a/b', '', 'x'.repeat(128), 'ü'])('refuses %p with the rule', (name) => {
    expect(() => assertSecretName(name)).toThrow(/letters, digits and hyphens only/);
  });

  it('keeps the challenge resource check only for real vault hosts', () => {
    expect(isAzureVaultHost('https://kv1.vault.azure.net/')).toBe(true);
    expect(isAzureVaultHost('https://kv1.vault.usgovcloudapi.net')).toBe(true);
    expect(isAzureVaultHost('https://localhost:8443')).toBe(false);
  });

  it('the in-memory store keeps versions and returns the latest', async () => {
    const store = new MemorySecretStore();
    const v1 = await store.setSecret('s1', 'value-number-1');
    const v2 = await store.setSecret('s1', 'value-number-2');
    expect((await store.getSecret('s1'))?.value).toBe('value-number-2');
    expect((await store.getSecret('s1', v1))?.value).toBe('value-number-1');
    expect(v1).not.toBe(v2);
    expect(await store.deleteSecret('s1')).toBe(true);
    expect(await store.getSecret('s1')).toBeUndefined();
  });
});
