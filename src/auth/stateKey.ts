// The HMAC key PKCE verifiers are derived from, kept in Key Vault as `oauth-state-key`. Created on
// first use; each state records the key version it used, so a key written concurrently by another
// instance, or rotated later, never breaks a sign-in in flight.
import type { SecretStore } from '../secrets/secretStore';
import { OAUTH_STATE_KEY_SECRET } from '../secrets/names';
import { newStateKey } from './pkce';

export interface StateKey {
  key: Buffer;
  version: string;
}

export class StateKeyProvider {
  private current?: Promise<StateKey>;
  private readonly byVersion = new Map<string, Buffer>();

  constructor(private readonly secrets: SecretStore) {}

  /** The key new states use. */
  latest(): Promise<StateKey> {
    this.current ??= this.loadOrCreate().catch((error) => {
      this.current = undefined;
      throw error;
    });
    return this.current;
  }

  /** The key a stored state was created with; undefined when that version is gone. */
  async version(version: string): Promise<Buffer | undefined> {
    const cached = this.byVersion.get(version);
    if (cached) return cached;
    const secret = await this.secrets.getSecret(OAUTH_STATE_KEY_SECRET, version);
    if (!secret) return undefined;
    const key = Buffer.from(secret.value, 'base64');
    this.byVersion.set(version, key);
    return key;
  }

  private async loadOrCreate(): Promise<StateKey> {
    let secret = await this.secrets.getSecret(OAUTH_STATE_KEY_SECRET);
    if (!secret) {
      const version = await this.secrets.setSecret(OAUTH_STATE_KEY_SECRET, newStateKey(), {
        contentType: 'oauth-state-hmac-key',
      });
      secret = await this.secrets.getSecret(OAUTH_STATE_KEY_SECRET, version);
      if (!secret) throw new Error('The OAuth state key vanished right after it was written');
    }
    const key = Buffer.from(secret.value, 'base64');
    this.byVersion.set(secret.version, key);
    return { key, version: secret.version };
  }
}
