// Certificates and the keys behind them, free of HTTP. "When a Key Vault certificate is created, an
// addressable key and secret are also created with the same name" ("About Azure Key Vault
// certificates"): each version here has a key version and a secret version with the same version id.
// Only the Self issuer and RSA keys are modelled. Creation is a long-running operation: the key pair is
// generated after the 202, and `/pending` reports inProgress until it is done. Lifetime actions of type
// AutoRenew fire when the clock passes their trigger (checked on each request), as the service renews a
// Self-issued certificate on its own.
import { randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { certificateSecretValue, newRsaKey, selfSignedCertificate, x5t, type RsaKeyPair } from './crypto';
import { badParameter, KeyVaultError } from './errors';
import type { SecretStore } from './store';

export interface CertificatePolicy {
  key_props: { exportable: boolean; kty: 'RSA'; key_size: number; reuse_key: boolean };
  secret_props: { contentType: string };
  x509_props: {
    subject: string;
    sans?: { dns_names?: string[] };
    ekus: string[];
    key_usage: string[];
    validity_months: number;
  };
  lifetime_actions: LifetimeAction[];
  issuer: { name: string; cty?: string; cert_transparency?: boolean };
  attributes: { enabled: boolean; created: number; updated: number };
}

export interface LifetimeAction {
  trigger: { lifetime_percentage?: number; days_before_expiry?: number };
  action: { action_type: 'AutoRenew' | 'EmailContacts' };
}

export interface ObjectAttributes {
  enabled: boolean;
  nbf?: number;
  exp?: number;
  created: number;
  updated: number;
}

export interface KeyVersion {
  version: string;
  keySize: number;
  keyOps: string[];
  exportable: boolean;
  privateKey: KeyObject;
  publicKey: KeyObject;
  attributes: ObjectAttributes;
}

export interface CertificateVersion {
  version: string;
  der: Buffer;
  x5t: string;
  attributes: ObjectAttributes;
  tags?: Record<string, string>;
  /** The policy in force when this version was issued. */
  policy: CertificatePolicy;
}

export interface PendingOperation {
  requestId: string;
  status: 'inProgress' | 'completed' | 'failed';
  error?: { code: string; message: string };
  done: Promise<void>;
}

interface CertificateRecord {
  name: string;
  policy: CertificatePolicy;
  versions: CertificateVersion[];
  keys: KeyVersion[];
  pending?: PendingOperation;
  /** Versions an AutoRenew action already renewed, so a trigger fires once per version. */
  renewedFrom: Set<string>;
}

export interface NewVersionOptions {
  /** Override the validity window (Unix seconds) instead of `validity_months` from now. */
  notBefore?: number;
  notAfter?: number;
  attributes?: { enabled?: boolean };
  tags?: Record<string, string>;
}

const SECONDS_PER_MONTH = 30 * 24 * 3600;

/** Key operations from the X.509 key usage, the mapping "About Azure Key Vault certificates" describes. */
function keyOpsFor(keyUsage: string[]): string[] {
  const ops: string[] = [];
  if (keyUsage.includes('digitalSignature') || keyUsage.includes('nonRepudiation'))
    ops.push('sign', 'verify');
  if (keyUsage.includes('keyEncipherment')) ops.push('wrapKey', 'unwrapKey', 'encrypt', 'decrypt');
  if (keyUsage.includes('dataEncipherment') && !ops.includes('encrypt')) ops.push('encrypt', 'decrypt');
  return ops;
}

export function certificateNotFound(name: string): KeyVaultError {
  return new KeyVaultError(
    404,
    'CertificateNotFound',
    `A certificate with (name/id) ${name} was not found in this key vault. If you recently deleted this certificate ` +
      'you may be able to recover it using the correct recovery command. For help resolving this issue, ' +
      'please see https://go.microsoft.com/fwlink/?linkid=2125182',
  );
}

export function keyNotFound(name: string): KeyVaultError {
  return new KeyVaultError(
    404,
    'KeyNotFound',
    `A key with (name/id) ${name} was not found in this key vault. If you recently deleted this key ` +
      'you may be able to recover it using the correct recovery command. For help resolving this issue, ' +
      'please see https://go.microsoft.com/fwlink/?linkid=2125182',
  );
}

export class CertificateStore {
  private readonly records = new Map<string, CertificateRecord>();

  /** @param nowSeconds the clock, in Unix seconds. */
  constructor(
    private readonly nowSeconds: () => number,
    private readonly secrets: SecretStore,
  ) {}

  /** Starts a new version (the first one creates the certificate); the operation finishes later. */
  create(name: string, policy: CertificatePolicy, options: NewVersionOptions = {}): PendingOperation {
    const existing = this.records.get(name.toLowerCase());
    if (existing?.pending?.status === 'inProgress') {
      throw new KeyVaultError(
        409,
        'Conflict',
        `There is a pending certificate operation for ${name}; wait for it to finish before creating another version.`,
      );
    }
    const record: CertificateRecord = existing ?? {
      name,
      policy,
      versions: [],
      keys: [],
      renewedFrom: new Set(),
    };
    record.policy = policy;
    this.records.set(name.toLowerCase(), record);
    const operation: PendingOperation = {
      requestId: randomUUID().replace(/-/g, ''),
      status: 'inProgress',
      done: Promise.resolve(),
    };
    operation.done = this.issue(record, options).then(
      () => {
        operation.status = 'completed';
      },
      (error: unknown) => {
        operation.status = 'failed';
        operation.error = { code: 'InternalError', message: String((error as Error).message ?? error) };
      },
    );
    record.pending = operation;
    return operation;
  }

  /** A new version now, with a new key unless the policy reuses it: what renewal does. */
  async renew(name: string, options: NewVersionOptions = {}): Promise<CertificateVersion> {
    const record = this.record(name);
    const operation = this.create(record.name, record.policy, options);
    await operation.done;
    if (operation.status !== 'completed') throw new Error(operation.error?.message ?? 'renewal failed');
    return { ...record.versions[record.versions.length - 1] };
  }

  private async issue(record: CertificateRecord, options: NewVersionOptions): Promise<void> {
    const policy = record.policy;
    const previousKey = record.keys.at(-1);
    const pair: RsaKeyPair =
      policy.key_props.reuse_key && previousKey
        ? { privateKey: previousKey.privateKey, publicKey: previousKey.publicKey }
        : await newRsaKey(policy.key_props.key_size);
    const now = this.nowSeconds();
    const notBefore = options.notBefore ?? now;
    const notAfter = options.notAfter ?? notBefore + policy.x509_props.validity_months * SECONDS_PER_MONTH;
    const der = selfSignedCertificate(pair, {
      subject: policy.x509_props.subject,
      dnsNames: policy.x509_props.sans?.dns_names,
      notBefore,
      notAfter,
      keyUsage: policy.x509_props.key_usage,
      ekus: policy.x509_props.ekus,
    });
    const version = randomBytes(16).toString('hex');
    const attributes: ObjectAttributes = {
      enabled: options.attributes?.enabled ?? true,
      nbf: notBefore,
      exp: notAfter,
      created: now,
      updated: now,
    };
    record.keys.push({
      version,
      keySize: policy.key_props.key_size,
      keyOps: keyOpsFor(policy.x509_props.key_usage),
      exportable: policy.key_props.exportable,
      privateKey: pair.privateKey,
      publicKey: pair.publicKey,
      attributes: { ...attributes },
    });
    record.versions.push({
      version,
      der,
      x5t: x5t(der),
      attributes,
      tags: options.tags ? { ...options.tags } : undefined,
      policy: structuredClone(policy),
    });
    const contentType = policy.secret_props.contentType;
    this.secrets.set(
      record.name,
      {
        value: certificateSecretValue(
          der,
          policy.key_props.exportable ? pair.privateKey : undefined,
          contentType,
        ),
        contentType,
        attributes: { enabled: attributes.enabled, nbf: notBefore, exp: notAfter },
      },
      version,
    );
  }

  /** The latest version when `version` is empty. */
  get(name: string, version = ''): { name: string; version: CertificateVersion } {
    const record = this.record(name);
    const found = version ? record.versions.find((v) => v.version === version) : record.versions.at(-1);
    if (!found) throw certificateNotFound(version ? `${name}/${version}` : name);
    return { name: record.name, version: found };
  }

  versions(name: string): { name: string; versions: CertificateVersion[] } {
    const record = this.record(name);
    return { name: record.name, versions: [...record.versions] };
  }

  list(): { name: string; latest: CertificateVersion }[] {
    return [...this.records.values()]
      .filter((r) => r.versions.length > 0)
      .map((r) => ({ name: r.name, latest: r.versions[r.versions.length - 1] }));
  }

  policy(name: string): { name: string; policy: CertificatePolicy } {
    const record = this.record(name);
    return { name: record.name, policy: record.policy };
  }

  pending(name: string): { name: string; operation: PendingOperation } {
    const record = this.records.get(name.toLowerCase());
    if (!record?.pending) {
      throw new KeyVaultError(404, 'PendingCertificateNotFound', `Pending certificate not found: ${name}`);
    }
    return { name: record.name, operation: record.pending };
  }

  /** The key behind a certificate version (the latest when `version` is empty). */
  key(name: string, version = ''): { name: string; key: KeyVersion } {
    const record = this.records.get(name.toLowerCase());
    const found = record && (version ? record.keys.find((k) => k.version === version) : record.keys.at(-1));
    if (!record || !found) throw keyNotFound(version ? `${name}/${version}` : name);
    return { name: record.name, key: found };
  }

  keyVersions(name: string): { name: string; keys: KeyVersion[] } {
    const record = this.records.get(name.toLowerCase());
    if (!record || record.keys.length === 0) throw keyNotFound(name);
    return { name: record.name, keys: [...record.keys] };
  }

  /**
   * Test control: change a version's attributes on the certificate and, as the service mirrors them,
   * on its key and secret. The X.509 itself keeps its dates; use `renew` with a validity for that.
   */
  setAttributes(
    name: string,
    attributes: Partial<Pick<ObjectAttributes, 'enabled' | 'nbf' | 'exp'>>,
    version = '',
  ): CertificateVersion {
    const { version: target } = this.get(name, version);
    const given = Object.fromEntries(Object.entries(attributes).filter(([, v]) => v !== undefined));
    Object.assign(target.attributes, given);
    const key = this.key(name, target.version).key;
    Object.assign(key.attributes, given);
    this.secrets.setAttributes(name, given, target.version);
    return { ...target };
  }

  /**
   * Renews every certificate whose latest version passed an AutoRenew trigger. Awaited before each
   * request, so a test that moves the clock sees the renewed certificate on its next call.
   */
  async runLifetimeActions(): Promise<void> {
    const now = this.nowSeconds();
    const due: CertificateRecord[] = [];
    for (const record of this.records.values()) {
      const latest = record.versions.at(-1);
      if (!latest || record.pending?.status === 'inProgress' || record.renewedFrom.has(latest.version))
        continue;
      const trigger = autoRenewAt(record.policy, latest.attributes);
      if (trigger !== undefined && now >= trigger) due.push(record);
    }
    for (const record of due) {
      record.renewedFrom.add(record.versions.at(-1)!.version);
      await this.renew(record.name);
    }
  }

  private record(name: string): CertificateRecord {
    const record = this.records.get(name.toLowerCase());
    if (!record || record.versions.length === 0) throw certificateNotFound(name);
    return record;
  }
}

/** When the policy's AutoRenew action fires for a version, in Unix seconds. */
export function autoRenewAt(policy: CertificatePolicy, a: ObjectAttributes): number | undefined {
  const action = policy.lifetime_actions.find((l) => l.action.action_type === 'AutoRenew');
  if (!action || a.nbf === undefined || a.exp === undefined) return undefined;
  const { lifetime_percentage: pct, days_before_expiry: days } = action.trigger;
  if (typeof pct === 'number') return Math.floor(a.nbf + ((a.exp - a.nbf) * pct) / 100);
  if (typeof days === 'number') return a.exp - days * 24 * 3600;
  return undefined;
}

export function checkKeySize(size: unknown): number {
  if (size === undefined || size === null) return 2048;
  if (size !== 2048 && size !== 3072 && size !== 4096) {
    throw badParameter(`Invalid key size ${String(size)}: RSA keys are 2048, 3072 or 4096 bits.`);
  }
  return size;
}
