// The passwords of an encrypted job (rclone crypt's `password` and `password2`), kept as two Key
// Vault secrets named after the job. Generated strong unless the person brings their own; never in
// a Table row, a message or a log line (every value passes through the store, which masks it).
// Losing them loses the backup: nothing else can decrypt it, which is why they can be shown.
import { randomBytes } from 'node:crypto';
import { deriveKeys, type CryptKeys } from '../crypt';
import { AppError } from '../errors';
import { cryptPasswordSecretNames } from './names';
import type { SecretStore } from './secretStore';

export interface CryptPasswords {
  password: string;
  password2: string;
}

/** 32 random bytes each (256 bits), base64url: as strong as the keys scrypt derives from them. */
function generated(): string {
  return randomBytes(32).toString('base64url');
}

export class CryptPasswordStore {
  constructor(private readonly secrets: SecretStore) {}

  /** Stores the job's passwords, generating any not given. Called before the job row is written. */
  async create(jobId: string, given: Partial<CryptPasswords> = {}): Promise<void> {
    const names = cryptPasswordSecretNames(jobId);
    const tags = { job: jobId, purpose: 'rclone-crypt' };
    await this.secrets.setSecret(names.password, given.password ?? generated(), { tags });
    await this.secrets.setSecret(names.password2, given.password2 ?? generated(), { tags });
  }

  async get(jobId: string): Promise<CryptPasswords> {
    const names = cryptPasswordSecretNames(jobId);
    const [password, password2] = await Promise.all([
      this.secrets.getSecret(names.password),
      this.secrets.getSecret(names.password2),
    ]);
    if (!password || !password2)
      throw new AppError(
        'EncryptionKeysMissing',
        `The encryption passwords of job ${jobId} are not in Key Vault.`,
        {
          advice:
            'Without them the encrypted files cannot be written or read. If the secrets were deleted, recover them from the vault (soft delete keeps them 90 days): az keyvault secret recover --vault-name <vault> --name ' +
            names.password,
        },
      );
    return { password: password.value, password2: password2.value };
  }
}

/**
 * The keys of encrypted jobs, derived once per process: scrypt is deliberately slow (tens of
 * milliseconds and 16 MiB each time), and every upload and restore task of a job needs the same
 * keys. A failed read or derivation is not cached, so the next task tries again.
 */
export class CryptKeyring {
  private readonly cache = new Map<string, Promise<CryptKeys>>();

  constructor(
    readonly passwords: CryptPasswordStore,
    private readonly maxJobs = 64,
  ) {}

  keys(jobId: string): Promise<CryptKeys> {
    const cached = this.cache.get(jobId);
    if (cached) return cached;
    const derived = this.passwords.get(jobId).then((p) => deriveKeys(p.password, p.password2));
    derived.catch(() => this.cache.delete(jobId));
    if (this.cache.size >= this.maxJobs) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(jobId, derived);
    return derived;
  }
}
