// (4) Graph requests and Key Vault calls per run and per GiB, counted from the emulators' request
// logs. Access tokens come from the real TokenService reading and writing the Key Vault emulator
// through the real KeyVaultSecretStore (refresh token, client secret, rotated refresh token), so the
// Key Vault figure is what a worker really costs. Only the token endpoint is a stand-in: it answers
// every refresh with the Graph emulator's test token and a new refresh token, as Entra rotates them.
import { randomBytes } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import type { ContainerClient } from '@azure/storage-blob';
import { KeyVaultEmulator } from '../emulators/keyvault';
import type { TokenClient } from '../src/auth/tokenClient';
import { TokenService } from '../src/auth/tokenService';
import { staticTokenCredential } from '../src/local/seed';
import { refreshTokenSecretName } from '../src/secrets/names';
import { KeyVaultSecretStore } from '../src/secrets/secretStore';
import { ConnectionStore } from '../src/store/connections';
import type { GraphProcess } from './processes';
import { benchPipeline, MiB, runOnce, tableName } from './pipeline';
import { seedLargeBlob } from './seed';

const GiB = 1024 * MiB;
const CLIENT_SECRET_NAME = 'bench-client-secret';

export interface RunCount {
  label: string;
  files: number;
  bytes: number;
  graph: number;
  graphByKind: Record<string, number>;
  keyVault: number;
  keyVaultByKind: Record<string, number>;
}

function standInTokenEndpoint(accessToken: string): TokenClient {
  const answer = async () => ({
    accessToken,
    refreshToken: randomBytes(24).toString('hex'),
    expiresIn: 3600,
  });
  return { redeemCode: answer, refresh: answer, clientCredentials: answer };
}

/** 'PUT upload', 'POST createUploadSession', ...: what the requests were, for the table. */
function kindOf(r: { method: string; path: string }): string {
  const action = /\/(createUploadSession|content|permanentDelete|children)$/.exec(r.path)?.[1];
  if (action) return `${r.method} ${action}`;
  if (r.path.startsWith('/up/')) return `${r.method} uploadUrl`;
  return `${r.method} item`;
}

function tally<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
  return out;
}

export async function measureRequests(options: {
  connectionString: string;
  container: ContainerClient;
  graph: GraphProcess;
  driveId: string;
  graphToken: string;
}): Promise<RunCount[]> {
  const vault = await new KeyVaultEmulator().start();
  try {
    const store = (): KeyVaultSecretStore =>
      new KeyVaultSecretStore({
        keyVaultUrl: vault.vaultUrl,
        credential: staticTokenCredential('bench-managed-identity'),
      });
    const seedSecrets = store();
    // The worker's own client, so its first request meets the SDK's bearer challenge as a cold one does.
    const secrets = store();
    const connections = new ConnectionStore(
      TableClient.fromConnectionString(options.connectionString, tableName('conn'), {
        allowInsecureConnection: true,
      }),
    );
    const connectionId = 'bench-connection';
    const now = new Date().toISOString();
    await connections.create({
      id: connectionId,
      name: 'bench',
      cloud: 'global',
      tenant: 'common',
      authMode: 'delegated',
      hasOwnClientSecret: false,
      driveType: 'business',
      driveId: options.driveId,
      rootFolder: '',
      status: 'authorized',
      createdAt: now,
      updatedAt: now,
    });
    await seedSecrets.setSecret(CLIENT_SECRET_NAME, 'bench-client-secret-value');
    await seedSecrets.setSecret(refreshTokenSecretName(connectionId), 'bench-initial-refresh-token');
    // A new worker process: a token service with an empty cache, as a cold Functions instance has.
    const tokenService = new TokenService({
      connections,
      secrets,
      tokenClient: standInTokenEndpoint(options.graphToken),
      defaultClientId: '11111111-2222-3333-4444-555555555555',
      clientSecretName: CLIENT_SECRET_NAME,
    });

    // A mixed source: two session-sized files and many simple-upload ones.
    const small = 200;
    for (let i = 0; i < small; i += 1)
      await options.container.getBlockBlobClient(`small/f${i}.bin`).uploadData(randomBytes(100 * 1024));
    await seedLargeBlob(options.container, 'large/a.bin', 100 * MiB);
    await seedLargeBlob(options.container, 'large/b.bin', 100 * MiB);

    const pipeline = await benchPipeline({
      connectionString: options.connectionString,
      container: options.container.containerName,
      job: { chunkSizeBytes: 10 * MiB },
      destination: async () => ({
        apiBaseUrl: options.graph.apiBaseUrl,
        driveId: options.driveId,
        rootFolder: '',
        driveType: 'business',
        allowedUploadHosts: ['127.0.0.1'],
        tokens: ({ forceRefresh }) => tokenService.getAccessToken(connectionId, { forceRefresh }),
      }),
    });
    const out: RunCount[] = [];
    const measure = async (label: string): Promise<void> => {
      const graphBefore = (await options.graph.requests()).length;
      const vaultBefore = vault.server.requests.length;
      const run = await runOnce(pipeline);
      const graph = (await options.graph.requests()).slice(graphBefore);
      const kv = vault.server.requests.slice(vaultBefore);
      out.push({
        label,
        files: run.totals?.uploadedFiles ?? 0,
        bytes: run.totals?.uploadedBytes ?? 0,
        graph: graph.length,
        graphByKind: tally(graph, kindOf),
        keyVault: kv.length,
        keyVaultByKind: tally(kv, (r) => `${r.method} ${r.status}`),
      });
    };
    await measure('first run, cold worker (202 files, 220 MiB)');
    await measure('second run, nothing changed');
    await options.container.getBlockBlobClient('small/f0.bin').uploadData(randomBytes(100 * 1024));
    await measure('third run, one small file changed');
    return out;
  } finally {
    await vault.stop();
  }
}

export function perGiB(count: RunCount): { graph: number; keyVault: number } {
  const gib = count.bytes / GiB;
  return { graph: count.graph / gib, keyVault: count.keyVault / gib };
}
