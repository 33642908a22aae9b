// Embedded mode: with no real settings, the local host brings its own backends (Azurite and the
// Microsoft emulators) and the settings that point the app at them.
import { startAzurite, type AzuriteInstance } from '../../emulators/azurite';
import { startEmulators, type Emulators } from '../../emulators';
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET } from '../../emulators/identity';
import { SETTINGS } from '../config/settings';
import { seedClientSecret, seedDemoSource } from './seed';

export interface EmbeddedBackends {
  azurite: AzuriteInstance;
  emulators: Emulators;
  /** Settings to lay over the environment. */
  env: Record<string, string>;
  demoFiles: string[];
  stop(): Promise<void>;
}

export async function startEmbedded(options: {
  publicBaseUrl: string;
  clientSecretName?: string;
}): Promise<EmbeddedBackends> {
  let azurite: AzuriteInstance | undefined;
  let emulators: Emulators | undefined;
  const stop = async (): Promise<void> => {
    await Promise.allSettled([emulators?.stop(), azurite?.stop()]);
  };
  try {
    // Both start together; allSettled so that one failing still leaves the other to be stopped.
    const [a, e] = await Promise.allSettled([startAzurite(), startEmulators()]);
    if (a.status === 'fulfilled') azurite = a.value;
    if (e.status === 'fulfilled') emulators = e.value;
    if (a.status === 'rejected') throw a.reason;
    if (e.status === 'rejected') throw e.reason;
    if (!azurite || !emulators) throw new Error('unreachable');
    const token = emulators.keyVaultToken;
    const secretName =
      options.clientSecretName ?? SETTINGS.find((s) => s.name === 'CLIENT_SECRET_NAME')!.default!;
    const redirectUri = `${options.publicBaseUrl}/api/auth/callback`;
    // The emulator's default app knows http://localhost:7071 only; add the port this host really uses.
    const app = emulators.identity.directory.apps.get(DEFAULT_CLIENT_ID)!;
    if (!app.redirectUris.includes(redirectUri)) app.redirectUris.push(redirectUri);

    const env: Record<string, string> = {
      RUN_MODE: 'local',
      AzureWebJobsStorage: azurite.connectionString,
      SOURCE_CONNECTION_STRING: azurite.connectionString,
      KEY_VAULT_URL: emulators.keyVault.vaultUrl,
      KEY_VAULT_TOKEN_OVERRIDE: token,
      LOGIN_ENDPOINT_OVERRIDE: emulators.identity.baseUrl,
      GRAPH_ENDPOINT_OVERRIDE: emulators.graph.baseUrl,
      GRAPH_CLIENT_ID: DEFAULT_CLIENT_ID,
      PUBLIC_BASE_URL: options.publicBaseUrl,
    };
    const [, demoFiles] = await Promise.all([
      seedClientSecret({
        vaultUrl: emulators.keyVault.vaultUrl,
        token,
        name: secretName,
        value: DEFAULT_CLIENT_SECRET,
        // About a year out, like a freshly created Entra secret; the expiry check has something to show.
        expiresOn: new Date(Date.now() + 365 * 24 * 3600 * 1000),
      }),
      seedDemoSource(azurite.connectionString),
    ]);
    return { azurite, emulators, env, demoFiles, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
