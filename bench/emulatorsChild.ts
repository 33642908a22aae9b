// The three Microsoft emulators in a process of their own, for the benchmarks that run the whole
// app (the local host as a worker process) and rclone against the same Graph emulator. Wired as
// `startEmulators` wires them (Graph accepts the identity emulator's tokens, Key Vault one token),
// and Graph also accepts one more token made here for the seeded work user (the account the local
// host's connection signs in as), so a tool that cannot sign in (rclone, given a token in its
// config) and the bench itself (to clear folders between rounds) work in the same drive. A process of its own
// so that the emulators' CPU (and the files they keep in memory) is not counted as the bench's, and
// the measured worker and rclone each talk to a server that is not competing with them for a thread.
// Prints one JSON line when listening, then serves until it is killed.
import { randomBytes } from 'node:crypto';
import { GraphEmulator } from '../emulators/graph';
import { DEFAULT_CLIENT_ID, IdentityEmulator } from '../emulators/identity';
import { DEFAULT_WORK_USER, GRAPH_RESOURCE } from '../emulators/identity/constants';
import { KeyVaultEmulator, VAULT_RESOURCE } from '../emulators/keyvault';
import type { Principal } from '../emulators/shared/principal';
import { exitWithParent } from './withParent';

export interface EmulatorsChildAnswer {
  identityBaseUrl: string;
  graphBaseUrl: string;
  /** The Graph emulator's second host name, on which it hands out upload URLs. */
  graphAltBaseUrl: string;
  keyVaultUrl: string;
  keyVaultToken: string;
  /** A Graph access token for the seeded work user's drive that never expires. */
  driveToken: string;
  controlKey: string;
}

async function main(): Promise<void> {
  exitWithParent();
  const keyVaultToken = `bench-${randomBytes(24).toString('base64url')}`;
  const controlKey = randomBytes(24).toString('base64url');
  const driveToken = `bench-drive-${randomBytes(24).toString('base64url')}`;
  const workUser: Principal = {
    oid: DEFAULT_WORK_USER.oid,
    tenantId: DEFAULT_WORK_USER.tenantId,
    upn: DEFAULT_WORK_USER.upn,
    displayName: DEFAULT_WORK_USER.displayName,
    appId: DEFAULT_CLIENT_ID,
    appOnly: false,
    accountType: 'work',
    scopes: ['Files.ReadWrite.All', 'Sites.Read.All', 'User.Read', 'offline_access'],
    audience: GRAPH_RESOURCE,
    expiresAt: Number.MAX_SAFE_INTEGER,
  };
  const identity = new IdentityEmulator();
  const graph = new GraphEmulator({
    authorize: (token) => (token === driveToken ? workUser : identity.introspect(token)),
  });
  const keyVault = new KeyVaultEmulator({
    authorize: (sent) =>
      sent === keyVaultToken
        ? {
            oid: '00000000-0000-0000-0000-00000000be4c',
            tenantId: '00000000-0000-4000-8000-00000000be4c',
            appId: 'bench-host',
            appOnly: true,
            accountType: 'work',
            scopes: [],
            audience: VAULT_RESOURCE,
            expiresAt: Number.MAX_SAFE_INTEGER,
          }
        : undefined,
  });
  for (const emulator of [identity, graph, keyVault]) emulator.server.controlKey = controlKey;
  await identity.start(0);
  await graph.start(0);
  await keyVault.start(0);
  // The local host's sign-in callback, on the port the bench chose for it.
  const redirect = process.env.BENCH_REDIRECT_URI;
  if (redirect) identity.directory.apps.get(DEFAULT_CLIENT_ID)!.redirectUris.push(redirect);
  const answer: EmulatorsChildAnswer = {
    identityBaseUrl: identity.baseUrl,
    graphBaseUrl: graph.baseUrl,
    graphAltBaseUrl: graph.server.altBaseUrl,
    keyVaultUrl: keyVault.vaultUrl,
    keyVaultToken,
    driveToken,
    controlKey,
  };
  process.stdout.write(`${JSON.stringify(answer)}\n`);
  const stop = (): void =>
    void Promise.allSettled([identity.stop(), graph.stop(), keyVault.stop()]).finally(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

void main();
