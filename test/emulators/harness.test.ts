// startEmulators as the local host and the soak use it: one control key for all three emulators,
// and a Key Vault that takes the one token it was started with, not any bearer token.
import { startEmulators, type Emulators } from '../../emulators';
import { CONTROL_KEY_HEADER } from '../../emulators/shared/server';

let emulators: Emulators;
beforeAll(async () => {
  emulators = await startEmulators();
});
afterAll(() => emulators.stop());

const getSecret = (token: string): Promise<Response> =>
  fetch(`${emulators.keyVault.vaultUrl}secrets/missing-secret?api-version=7.5`, {
    headers: { Authorization: `Bearer ${token}` },
  });

describe('startEmulators', () => {
  it('has Key Vault accept only the token it handed out (401 for any other)', async () => {
    const other = await getSecret('any-other-token');
    expect(other.status).toBe(401);
    const own = await getSecret(emulators.keyVaultToken);
    expect(own.status).toBe(404);
    expect(((await own.json()) as { error: { code: string } }).error.code).toBe('SecretNotFound');
  });

  it('gives the three emulators one control key and refuses their control routes without it', async () => {
    const routes = [
      `${emulators.identity.server.baseUrl}/_emulator/identity/state`,
      `${emulators.keyVault.server.baseUrl}/_emulator/keyvault/state`,
      `${emulators.graph.server.baseUrl}/_emulator/requests`,
    ];
    for (const url of routes) {
      expect((await fetch(url)).status).toBe(403);
      const keyed = await fetch(url, { headers: { [CONTROL_KEY_HEADER]: emulators.controlKey } });
      expect(keyed.status).toBe(200);
    }
  });
});
