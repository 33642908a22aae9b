// Starts the three Microsoft emulators wired together: Graph accepts the access tokens the identity
// emulator issues (asking it who a token belongs to). Key Vault accepts one bearer token only, made
// here and handed to the local app (KEY_VAULT_TOKEN_OVERRIDE stands in for managed identity), so no
// other process on the machine can read the vault with a made-up token. The three share one control
// key for their /_emulator/* routes, handed out to whoever started them.
import { randomBytes } from 'node:crypto';
import { GraphEmulator } from './graph';
import { IdentityEmulator } from './identity';
import { KeyVaultEmulator, VAULT_RESOURCE } from './keyvault';
import type { Authorize } from './shared/principal';

export interface StartEmulatorsOptions {
  /** Fixed ports (0 or omitted: any free port). */
  ports?: { identity?: number; graph?: number; keyVault?: number };
}

export interface Emulators {
  identity: IdentityEmulator;
  graph: GraphEmulator;
  keyVault: KeyVaultEmulator;
  /** The only bearer token the Key Vault emulator accepts. */
  keyVaultToken: string;
  /** Sent as X-Emulator-Control-Key to any of the three's /_emulator/* routes. */
  controlKey: string;
  /** Stops all three; safe to call more than once. */
  stop(): Promise<void>;
}

export async function startEmulators(options: StartEmulatorsOptions = {}): Promise<Emulators> {
  const keyVaultToken = `local-${randomBytes(24).toString('base64url')}`;
  const controlKey = randomBytes(24).toString('base64url');
  const identity = new IdentityEmulator();
  const graph = new GraphEmulator({ authorize: identity.introspect });
  const keyVault = new KeyVaultEmulator({ authorize: onlyToken(keyVaultToken) });
  for (const emulator of [identity, graph, keyVault]) emulator.server.controlKey = controlKey;
  const stop = async (): Promise<void> => {
    await Promise.allSettled([identity.stop(), graph.stop(), keyVault.stop()]);
  };
  try {
    await identity.start(options.ports?.identity ?? 0);
    await graph.start(options.ports?.graph ?? 0);
    await keyVault.start(options.ports?.keyVault ?? 0);
  } catch (error) {
    // Whatever started must not outlive a failed start.
    await stop();
    throw error;
  }
  return { identity, graph, keyVault, keyVaultToken, controlKey, stop };
}

/** A vault principal for exactly one token: the local app's stand-in for its managed identity. */
function onlyToken(token: string): Authorize {
  return (sent) =>
    sent === token
      ? {
          oid: '00000000-0000-0000-0000-00000000a11e',
          tenantId: '00000000-0000-4000-8000-00000000a11e',
          appId: 'local-host',
          appOnly: true,
          accountType: 'work',
          scopes: [],
          audience: VAULT_RESOURCE,
          expiresAt: Number.MAX_SAFE_INTEGER,
        }
      : undefined;
}
