// The vault's state and rules, free of HTTP: versions, attributes, soft delete, recovery and purge.
// Times are Unix seconds from an injectable clock, so tests move time instead of sleeping.
import { randomBytes } from 'node:crypto';
import { deletedButRecoverable, deletedSecretNotFound, secretDisabled, secretNotFound } from './errors';

/** Soft delete as on a vault created today: on, with the default (and maximum) 90-day retention. */
export const RECOVERABLE_DAYS = 90;
export const RECOVERY_LEVEL = 'Recoverable+Purgeable';

export interface SecretAttributes {
  enabled: boolean;
  nbf?: number;
  exp?: number;
  created: number;
  updated: number;
}

export interface SecretVersion {
  /** 32 lowercase hex characters, like the service's. */
  version: string;
  value: string;
  contentType?: string;
  tags?: Record<string, string>;
  attributes: SecretAttributes;
}

export interface Deletion {
  deletedDate: number;
  scheduledPurgeDate: number;
}

export interface SecretSnapshot {
  name: string;
  /** Oldest first. */
  versions: SecretVersion[];
  deleted?: Deletion;
}

export interface NewSecret {
  value: string;
  contentType?: string;
  tags?: Record<string, string>;
  attributes?: { enabled?: boolean; nbf?: number; exp?: number };
}

export interface SecretPatch {
  contentType?: string;
  tags?: Record<string, string>;
  attributes?: { enabled?: boolean; nbf?: number; exp?: number };
}

interface SecretRecord {
  /** The spelling used when the secret was first created; names compare case-insensitively. */
  name: string;
  versions: SecretVersion[];
  deleted?: Deletion;
}

function copyVersion(v: SecretVersion): SecretVersion {
  return {
    ...v,
    tags: v.tags ? { ...v.tags } : undefined,
    attributes: { ...v.attributes },
  };
}

/** Assigns only the attributes present: null and undefined mean "leave as is", as in a PATCH. */
function applyAttributes(target: SecretAttributes, input: SecretPatch['attributes']): void {
  if (!input) return;
  if (typeof input.enabled === 'boolean') target.enabled = input.enabled;
  if (typeof input.nbf === 'number') target.nbf = input.nbf;
  if (typeof input.exp === 'number') target.exp = input.exp;
}

export class SecretStore {
  private readonly records = new Map<string, SecretRecord>();

  /** @param nowSeconds the clock, in Unix seconds. */
  constructor(private readonly nowSeconds: () => number) {}

  /** @param versionId set by the certificate store, whose secret shares the certificate's version id. */
  set(name: string, input: NewSecret, versionId?: string): SecretVersion {
    this.sweep();
    const existing = this.records.get(name.toLowerCase());
    if (existing?.deleted) throw deletedButRecoverable(name);
    const now = this.nowSeconds();
    const attributes: SecretAttributes = { enabled: true, created: now, updated: now };
    applyAttributes(attributes, input.attributes);
    const version: SecretVersion = {
      version: versionId ?? randomBytes(16).toString('hex'),
      value: input.value,
      contentType: input.contentType,
      tags: input.tags ? { ...input.tags } : undefined,
      attributes,
    };
    const record = existing ?? { name, versions: [] };
    record.versions.push(version);
    this.records.set(name.toLowerCase(), record);
    return copyVersion(version);
  }

  /**
   * The latest version when `version` is empty. Disabled versions are refused (403), but nbf and exp
   * are not enforced: the service documents that a secret's get works outside the nbf/exp window
   * ("Date-time controlled operations" in "About Azure Key Vault secrets"), and users confirm that an
   * expired secret is still returned. The attributes are informational for secrets.
   */
  get(name: string, version = ''): SecretVersion {
    const found = this.findVersion(name, version);
    if (!found.attributes.enabled) throw secretDisabled('get');
    return copyVersion(found);
  }

  /** Versions of a live secret, without regard to enabled; the caller strips values. */
  versions(name: string): SecretVersion[] {
    return this.live(name).versions.map(copyVersion);
  }

  /** Live secrets with their latest version, for GET /secrets. */
  list(): { name: string; latest: SecretVersion }[] {
    this.sweep();
    return [...this.records.values()]
      .filter((r) => !r.deleted)
      .map((r) => ({ name: r.name, latest: copyVersion(r.versions[r.versions.length - 1]) }));
  }

  /** Works on disabled versions too: that is how a secret is re-enabled. */
  update(name: string, version: string, patch: SecretPatch): SecretVersion {
    const found = this.findVersion(name, version);
    applyAttributes(found.attributes, patch.attributes);
    if (patch.contentType !== undefined && patch.contentType !== null) found.contentType = patch.contentType;
    if (patch.tags !== undefined && patch.tags !== null) found.tags = { ...patch.tags };
    found.attributes.updated = this.nowSeconds();
    return copyVersion(found);
  }

  delete(name: string): { name: string; latest: SecretVersion; deletion: Deletion } {
    const record = this.live(name);
    const now = this.nowSeconds();
    record.deleted = { deletedDate: now, scheduledPurgeDate: now + RECOVERABLE_DAYS * 24 * 3600 };
    return this.deletedView(record);
  }

  getDeleted(name: string): { name: string; latest: SecretVersion; deletion: Deletion } {
    return this.deletedView(this.deletedRecord(name));
  }

  listDeleted(): { name: string; latest: SecretVersion; deletion: Deletion }[] {
    this.sweep();
    return [...this.records.values()].filter((r) => r.deleted).map((r) => this.deletedView(r));
  }

  purge(name: string): void {
    this.deletedRecord(name);
    this.records.delete(name.toLowerCase());
  }

  /** Brings every version back, as the service does; returns the latest. */
  recover(name: string): { name: string; latest: SecretVersion } {
    const record = this.deletedRecord(name);
    record.deleted = undefined;
    return { name: record.name, latest: copyVersion(record.versions[record.versions.length - 1]) };
  }

  /** The spelling the secret was created with (names compare case-insensitively), else `name`. */
  displayName(name: string): string {
    return this.records.get(name.toLowerCase())?.name ?? name;
  }

  /** Test inspection: every version with its value, live or deleted. */
  snapshot(name: string): SecretSnapshot | undefined {
    this.sweep();
    const record = this.records.get(name.toLowerCase());
    if (!record) return undefined;
    return {
      name: record.name,
      versions: record.versions.map(copyVersion),
      deleted: record.deleted ? { ...record.deleted } : undefined,
    };
  }

  all(): SecretSnapshot[] {
    this.sweep();
    return [...this.records.values()].map((r) => this.snapshot(r.name)!);
  }

  /** Test control: change attributes without touching `updated`, e.g. to backdate an expiry. */
  setAttributes(name: string, attributes: Partial<SecretAttributes>, version = ''): SecretVersion {
    this.sweep();
    const record = this.records.get(name.toLowerCase());
    if (!record) throw secretNotFound(name);
    const target = version ? record.versions.find((v) => v.version === version) : record.versions.at(-1);
    if (!target) throw secretNotFound(`${name}/${version}`);
    Object.assign(target.attributes, attributes);
    return copyVersion(target);
  }

  private findVersion(name: string, version: string): SecretVersion {
    const record = this.live(name);
    const found = version ? record.versions.find((v) => v.version === version) : record.versions.at(-1);
    if (!found) throw secretNotFound(`${name}/${version}`);
    return found;
  }

  private live(name: string): SecretRecord {
    this.sweep();
    const record = this.records.get(name.toLowerCase());
    if (!record || record.deleted) throw secretNotFound(name);
    return record;
  }

  private deletedRecord(name: string): SecretRecord {
    this.sweep();
    const record = this.records.get(name.toLowerCase());
    if (!record?.deleted) throw deletedSecretNotFound(name);
    return record;
  }

  private deletedView(record: SecretRecord): { name: string; latest: SecretVersion; deletion: Deletion } {
    return {
      name: record.name,
      latest: copyVersion(record.versions[record.versions.length - 1]),
      deletion: { ...record.deleted! },
    };
  }

  /** The service purges a soft-deleted secret when its retention ends; done lazily here. */
  private sweep(): void {
    const now = this.nowSeconds();
    for (const [key, record] of this.records) {
      if (record.deleted && record.deleted.scheduledPurgeDate <= now) this.records.delete(key);
    }
  }
}
