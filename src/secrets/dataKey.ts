// A symmetric key kept as a Key Vault secret: read once per process and cached in memory, created on
// first use. Whatever is sealed or derived with it records the key version, so a key written
// concurrently by another instance, or rotated later, still opens what the older version made. A
// stored value that is not a key of the expected length is never used: latest() writes a fresh key
// over it and version() answers undefined.
import { randomBytes } from 'node:crypto';
import type { SecretStore } from './secretStore';

export interface DataKey {
  key: Buffer;
  version: string;
}

export class DataKeyProvider {
  private current?: Promise<DataKey>;
  private readonly byVersion = new Map<string, Promise<Buffer | undefined>>();

  constructor(
    private readonly secrets: SecretStore,
    private readonly name: string,
    private readonly contentType: string,
    private readonly bytes = 32,
  ) {}

  /** The key new data is sealed with: one Key Vault read per process, then memory. */
  latest(): Promise<DataKey> {
    this.current ??= this.loadOrCreate().catch((error: unknown) => {
      this.current = undefined;
      throw error;
    });
    return this.current;
  }

  /** The key a stored value was sealed with; undefined when that version is gone. */
  version(version: string): Promise<Buffer | undefined> {
    let entry = this.byVersion.get(version);
    if (!entry) {
      entry = this.secrets.getSecret(this.name, version).then((secret) => this.decode(secret?.value));
      // A failed read is forgotten, so a Key Vault hiccup is not cached as "no such key".
      entry.catch(() => this.byVersion.delete(version));
      this.byVersion.set(version, entry);
    }
    return entry;
  }

  private decode(value: string | undefined): Buffer | undefined {
    if (value === undefined) return undefined;
    const key = Buffer.from(value, 'base64');
    return key.length === this.bytes ? key : undefined;
  }

  private async loadOrCreate(): Promise<DataKey> {
    let secret = await this.secrets.getSecret(this.name);
    if (!secret || !this.decode(secret.value)) {
      const version = await this.secrets.setSecret(this.name, randomBytes(this.bytes).toString('base64'), {
        contentType: this.contentType,
      });
      secret = await this.secrets.getSecret(this.name, version);
      if (!secret) throw new Error(`The key ${this.name} vanished right after it was written`);
    }
    const key = this.decode(secret.value)!;
    this.byVersion.set(secret.version, Promise.resolve(key));
    return { key, version: secret.version };
  }
}
