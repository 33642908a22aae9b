// Starts the three Microsoft emulators wired together: Graph accepts the access tokens the identity
// emulator issues (asking it who a token belongs to). Key Vault takes no authorize hook: the local
// app reaches it with a static KEY_VAULT_TOKEN_OVERRIDE bearer token instead of managed identity,
// which the emulator accepts as it accepts any non-empty token without a hook.
import { GraphEmulator } from './graph';
import { IdentityEmulator } from './identity';
import { KeyVaultEmulator } from './keyvault';

export interface StartEmulatorsOptions {
  /** Fixed ports (0 or omitted: any free port). */
  ports?: { identity?: number; graph?: number; keyVault?: number };
}

export interface Emulators {
  identity: IdentityEmulator;
  graph: GraphEmulator;
  keyVault: KeyVaultEmulator;
  /** Stops all three; safe to call more than once. */
  stop(): Promise<void>;
}

export async function startEmulators(options: StartEmulatorsOptions = {}): Promise<Emulators> {
  const identity = new IdentityEmulator();
  const graph = new GraphEmulator({ authorize: identity.introspect });
  const keyVault = new KeyVaultEmulator();
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
  return { identity, graph, keyVault, stop };
}
