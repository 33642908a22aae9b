// The app's client certificate in Key Vault: its versions' public halves (the DER, for the
// assertion's thumbprint and for `cli certificate`) and signatures made by the vault with the
// version's key. Nothing here reads the certificate's secret (the PKCS#12 / PEM with the private
// key): the key is created non-exportable and the only private-key operation is Key Vault's `sign`,
// so the identity needs `certificates/read` and `keys/sign/action` and nothing more.
import { CertificateClient, type CertificateClientOptions } from '@azure/keyvault-certificates';
import { CryptographyClient, type CryptographyClientOptions } from '@azure/keyvault-keys';
import type { TokenCredential } from '@azure/identity';
import { createHash } from 'node:crypto';
import { AppError } from '../errors';
import { createKeyVaultCredential, type CredentialOptions } from './credential';
import { isAzureVaultHost } from './secretStore';

export interface CertificateVersion {
  name: string;
  version: string;
  enabled: boolean;
  createdOn?: Date;
  notBefore?: Date;
  expiresOn?: Date;
  /** The X.509 certificate (public half), DER. */
  cer: Uint8Array;
  /** Key Vault key id of this version's key (`https://<vault>/keys/<name>/<version>`). */
  keyId: string;
  /** SHA-1 thumbprint, upper-case hex: what the app registration's Certificates list shows. */
  thumbprint: string;
}

export interface CertificateStore {
  /** Enabled versions, newest first (empty when there is no such certificate). */
  versions(name: string): Promise<CertificateVersion[]>;
  /** RS256 signature of a SHA-256 digest, made in Key Vault with the given key. */
  sign(keyId: string, digest: Buffer): Promise<Uint8Array>;
}

export interface KeyVaultCertificateStoreOptions extends CredentialOptions {
  keyVaultUrl: string;
  credential?: TokenCredential;
  /** How long the versions' metadata is reused (default 5 minutes): a renewal shows up this late. */
  cacheTtlMs?: number;
  now?: () => number;
  /** Versions read per certificate, newest first (default 3: the current, the previous, one spare). */
  maxVersions?: number;
}

/** base64url of the SHA-256 of the certificate's DER: the assertion's `x5t#S256` header. */
export function x5tS256(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('base64url');
}

export function sha1Thumbprint(der: Uint8Array): string {
  return createHash('sha1').update(der).digest('hex').toUpperCase();
}

function keyVaultFailure(operation: string, name: string, error: unknown): AppError {
  const status = (error as { statusCode?: number })?.statusCode;
  const code = (error as { code?: string })?.code;
  // The SDK's message may echo the request; keep the operation, the name and the status.
  const detail = `Key Vault ${operation} of '${name}' failed${status ? ` with HTTP ${status}` : ''}${code ? ` (${code})` : ''}`;
  if (status === 401 || status === 403) {
    return new AppError('Unauthorized', detail, {
      detail,
      advice:
        "Give the function app's managed identity read access to the certificate and sign permission on its key (the template's 'client certificate signer' role at the key's scope; infra/hooks/postprovision creates both).",
    });
  }
  const transient = status === undefined || status === 429 || status >= 500;
  return new AppError(transient ? 'Transient' : 'UpstreamError', detail, { detail });
}

export class KeyVaultCertificateStore implements CertificateStore {
  private readonly certificates: CertificateClient;
  private readonly credential: TokenCredential;
  private readonly cryptoOptions: CryptographyClientOptions;
  private readonly cache = new Map<string, { at: number; versions: Promise<CertificateVersion[]> }>();
  private readonly signers = new Map<string, CryptographyClient>();
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly maxVersions: number;

  constructor(options: KeyVaultCertificateStoreOptions) {
    this.credential = options.credential ?? createKeyVaultCredential(options);
    const insecure = new URL(options.keyVaultUrl).protocol === 'http:';
    const common = {
      // The emulator is not a *.vault.azure.net host, so the challenge's resource cannot match it.
      disableChallengeResourceVerification: !isAzureVaultHost(options.keyVaultUrl),
      ...(insecure ? { allowInsecureConnection: true } : {}),
    };
    this.certificates = new CertificateClient(
      options.keyVaultUrl,
      this.credential,
      common as CertificateClientOptions,
    );
    this.cryptoOptions = common as CryptographyClientOptions;
    this.ttlMs = options.cacheTtlMs ?? 5 * 60_000;
    this.now = options.now ?? Date.now;
    this.maxVersions = options.maxVersions ?? 3;
  }

  versions(name: string): Promise<CertificateVersion[]> {
    const cached = this.cache.get(name);
    if (cached && this.now() - cached.at < this.ttlMs) return cached.versions;
    const versions = this.read(name);
    this.cache.set(name, { at: this.now(), versions });
    // A failed read is not cached: the next caller tries again.
    versions.catch(() => this.cache.delete(name));
    return versions;
  }

  /** Drops the cached metadata (a person just renewed or uploaded a certificate). */
  forget(name: string): void {
    this.cache.delete(name);
  }

  async sign(keyId: string, digest: Buffer): Promise<Uint8Array> {
    let signer = this.signers.get(keyId);
    if (!signer) {
      // One client per key version: the SDK first tries to GET the key (for local operations),
      // is refused with 403 under a sign-only role, and from then on signs remotely.
      signer = new CryptographyClient(keyId, this.credential, this.cryptoOptions);
      this.signers.set(keyId, signer);
    }
    try {
      return (await signer.sign('RS256', digest)).result;
    } catch (error) {
      throw keyVaultFailure('sign', keyId.replace(/^https?:\/\/[^/]+\/keys\//, ''), error);
    }
  }

  private async read(name: string): Promise<CertificateVersion[]> {
    const listed = [];
    try {
      for await (const props of this.certificates.listPropertiesOfCertificateVersions(name)) {
        if (props.enabled !== false && props.version) listed.push(props);
      }
    } catch (error) {
      if ((error as { statusCode?: number })?.statusCode === 404) return [];
      throw keyVaultFailure('listing the versions', name, error);
    }
    const time = (d?: Date) => d?.getTime() ?? 0;
    listed.sort((a, b) => time(b.createdOn ?? b.notBefore) - time(a.createdOn ?? a.notBefore));
    const out: CertificateVersion[] = [];
    for (const props of listed.slice(0, this.maxVersions)) {
      try {
        const certificate = await this.certificates.getCertificateVersion(name, props.version!);
        if (!certificate.cer || !certificate.keyId) continue;
        out.push({
          name,
          version: props.version!,
          enabled: props.enabled !== false,
          createdOn: props.createdOn,
          notBefore: props.notBefore,
          expiresOn: props.expiresOn,
          cer: certificate.cer,
          keyId: certificate.keyId,
          thumbprint: sha1Thumbprint(certificate.cer),
        });
      } catch (error) {
        throw keyVaultFailure('reading', `${name}/${props.version}`, error);
      }
    }
    return out;
  }
}
