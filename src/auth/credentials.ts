// Which app registration a connection signs in with, and how the app proves itself to the identity
// platform for it: the client secret from Key Vault; a client assertion signed by Key Vault with
// the certificate's non-exportable key; or the managed identity's token as a federated assertion.
// A connection with a client secret of its own always uses that secret.
//
// Certificates rotate without an outage: Key Vault renews the certificate before it expires, and
// the newest enabled, valid version signs first. If the identity platform answers that it does not
// know that certificate (its public half was not uploaded to the app registration yet), the
// previous still-valid version signs the same request again, and an alert says what to upload.
import { AppError } from '../errors';
import type { Logger } from '../log/logger';
import type { ClientCredentialKind } from '../config/credentialSettings';
import type { CertificateStore, CertificateVersion } from '../secrets/certificateStore';
import type { AssertionTokenSource } from '../secrets/federatedToken';
import type { SecretStore } from '../secrets/secretStore';
import { clientSecretSecretName } from '../secrets/names';
import type { Connection } from '../store/connections';
import type { CredentialHealth, CredentialHealthStore } from '../store/credentialHealth';
import { buildCertificateAssertion } from './assertion';
import { TokenEndpointError, type ClientCredentials } from './tokenClient';

export interface AppDefaults {
  /** GRAPH_CLIENT_ID. */
  defaultClientId: string;
  /** CLIENT_SECRET_NAME: the Key Vault secret with the default app's client secret. */
  clientSecretName: string;
  /** CLIENT_CREDENTIAL (secret when unset). */
  credentialKind?: ClientCredentialKind;
  /** CLIENT_CERTIFICATE_NAME. */
  certificateName?: string;
}

export function effectiveClientId(connection: Pick<Connection, 'clientId'>, defaults: AppDefaults): string {
  return connection.clientId || defaults.defaultClientId;
}

/** The Key Vault secret holding the client secret this connection uses. */
export function clientSecretNameFor(
  connection: Pick<Connection, 'id' | 'hasOwnClientSecret'>,
  defaults: AppDefaults,
): string {
  return connection.hasOwnClientSecret ? clientSecretSecretName(connection.id) : defaults.clientSecretName;
}

/** The kind of credential a connection signs in with: its own secret wins over the app's setting. */
export function credentialKindFor(
  connection: Pick<Connection, 'hasOwnClientSecret'>,
  defaults: AppDefaults,
): ClientCredentialKind {
  return connection.hasOwnClientSecret ? 'secret' : (defaults.credentialKind ?? 'secret');
}

export async function loadClientCredentials(
  connection: Connection,
  defaults: AppDefaults,
  secrets: SecretStore,
): Promise<ClientCredentials & { secretName: string }> {
  const secretName = clientSecretNameFor(connection, defaults);
  const secret = await secrets.getSecret(secretName);
  if (!secret) {
    throw new AppError('ConfigInvalid', `The client secret '${secretName}' is not in Key Vault`, {
      field: 'clientSecret',
      advice: `Create a client secret in the app registration (Certificates & secrets), copy its Value and store it in Key Vault as '${secretName}' with its expiry date.`,
    });
  }
  return { clientId: effectiveClientId(connection, defaults), clientSecret: secret.value, secretName };
}

/**
 * AADSTS codes that mean "this certificate is not (or no longer) one the app registration trusts":
 * worth signing again with the previous version. 700027 is the identity platform's answer to an
 * assertion signed by a key whose certificate is not registered (or whose registered copy expired).
 */
export const CERTIFICATE_NOT_TRUSTED = new Set([700027]);

/** What a certificate rotation fallback reports: the renewed version is not registered yet. */
export interface CertificateRotationAlert {
  kind: 'certificate-not-registered';
  clientId: string;
  certificateName: string;
  newestVersion: string;
  newestThumbprint: string;
  newestExpiresOn?: string;
  usedVersion: string;
  usedThumbprint: string;
  usedExpiresOn?: string;
  code: string;
}

export interface ClientCredentialServices {
  secrets: SecretStore;
  certificates?: CertificateStore;
  federatedTokens?: AssertionTokenSource;
  health?: CredentialHealthStore;
  now?: () => number;
  onRotationAlert?: (alert: CertificateRotationAlert) => void | Promise<void>;
  log?: Logger;
}

/** Where an assertion goes: the token endpoint (the certificate assertion's `aud`) and the cloud's exchange audience. */
export interface TokenTarget {
  tokenUrl: string;
  tokenExchangeAudience: string;
}

/** Names a person can look for in the portal and Key Vault; never a value. */
export interface CredentialLabel {
  kind: ClientCredentialKind;
  clientSecretName?: string;
  certificateName?: string;
}

const iso = (d?: Date) => d?.toISOString();

function usable(version: CertificateVersion, now: number): boolean {
  if (!version.enabled) return false;
  if (version.notBefore && version.notBefore.getTime() > now) return false;
  return !version.expiresOn || version.expiresOn.getTime() > now;
}

export class ClientCredentialProvider {
  private readonly now: () => number;
  /** The last health row written by this process, so an unchanged answer costs no Table write. */
  private readonly lastWritten = new Map<string, string>();

  constructor(
    private readonly defaults: AppDefaults,
    private readonly services: ClientCredentialServices,
  ) {
    this.now = services.now ?? Date.now;
  }

  label(connection: Pick<Connection, 'id' | 'hasOwnClientSecret'>): CredentialLabel {
    const kind = credentialKindFor(connection, this.defaults);
    if (kind === 'secret') return { kind, clientSecretName: clientSecretNameFor(connection, this.defaults) };
    if (kind === 'certificate') return { kind, certificateName: this.certificateName() };
    return { kind };
  }

  /**
   * Runs one token request with the connection's client credential. A certificate assertion or a
   * federated token is made fresh for each call (each has its own jti; a retry is a new call).
   */
  async withClient<T>(
    connection: Connection,
    target: TokenTarget,
    request: (client: ClientCredentials) => Promise<T>,
  ): Promise<T> {
    const clientId = effectiveClientId(connection, this.defaults);
    const kind = credentialKindFor(connection, this.defaults);
    if (kind === 'secret') {
      const { secretName: _name, ...client } = await loadClientCredentials(
        connection,
        this.defaults,
        this.services.secrets,
      );
      void _name;
      return request(client);
    }
    if (kind === 'federated') return this.withFederated(clientId, target, request);
    return this.withCertificate(clientId, target, request);
  }

  private certificateName(): string {
    return this.defaults.certificateName ?? 'graph-client-certificate';
  }

  private async withFederated<T>(
    clientId: string,
    target: TokenTarget,
    request: (client: ClientCredentials) => Promise<T>,
  ): Promise<T> {
    if (!this.services.federatedTokens)
      throw new AppError('ConfigInvalid', 'Federation is not configured', { field: 'CLIENT_CREDENTIAL' });
    const assertion = await this.services.federatedTokens.getToken(target.tokenExchangeAudience);
    const name = `federated-${clientId}`;
    try {
      const result = await request({ clientId, clientAssertion: assertion });
      await this.record(name, { kind: 'federated', acceptedAt: this.day() });
      return result;
    } catch (error) {
      if (error instanceof TokenEndpointError && !error.transient)
        await this.record(name, { kind: 'federated', ...this.refusal(error) });
      throw error;
    }
  }

  private async withCertificate<T>(
    clientId: string,
    target: TokenTarget,
    request: (client: ClientCredentials) => Promise<T>,
  ): Promise<T> {
    const name = this.certificateName();
    const store = this.services.certificates;
    if (!store)
      throw new AppError('ConfigInvalid', 'Certificates are not configured', { field: 'CLIENT_CREDENTIAL' });
    const now = this.now();
    const all = await store.versions(name);
    const candidates = all.filter((v) => usable(v, now));
    if (candidates.length === 0) throw noUsableCertificate(name, all, now);
    const health = await this.services.health?.get(name);
    // The newest version was refused within the hour and an older one works: use that one first
    // rather than be refused on every request until someone uploads the renewed certificate.
    const recentlyRefused =
      health?.refusedVersion === candidates[0].version &&
      health.refusedAt !== undefined &&
      now - Date.parse(health.refusedAt) < 3600_000;
    const accepted = candidates.findIndex((v) => v.version === health?.acceptedVersion);
    if (recentlyRefused && accepted > 0) candidates.unshift(...candidates.splice(accepted, 1));
    const newest = all.filter((v) => usable(v, now))[0];
    let refused: TokenEndpointError | undefined;
    for (const [index, version] of candidates.entries()) {
      const assertion = await buildCertificateAssertion(
        { clientId, audience: target.tokenUrl, certificateDer: version.cer, nowMs: this.now() },
        (digest) => store.sign(version.keyId, digest),
      );
      try {
        const result = await request({ clientId, clientAssertion: assertion });
        await this.recordAccepted(name, version, refused, newest, health);
        if (refused) await this.rotationAlert(clientId, name, newest, version, refused);
        return result;
      } catch (error) {
        const notTrusted =
          error instanceof TokenEndpointError && error.errorCodes.some((c) => CERTIFICATE_NOT_TRUSTED.has(c));
        if (notTrusted && index < candidates.length - 1) {
          this.services.log?.warn('auth.certificate.notTrusted', {
            certificateVersion: version.version,
            thumbprint: version.thumbprint,
            errorCodes: (error as TokenEndpointError).errorCodes,
          });
          refused = error as TokenEndpointError;
          continue;
        }
        if (error instanceof TokenEndpointError && !error.transient)
          await this.record(name, {
            ...(health ?? { kind: 'certificate' }),
            kind: 'certificate',
            refusedVersion: version.version,
            ...this.refusal(error),
          });
        throw error;
      }
    }
    // Unreachable: the last candidate either returned or threw.
    throw refused ?? new AppError('InvalidClient', 'No certificate was accepted');
  }

  private day(): string {
    return new Date(this.now()).toISOString();
  }

  private refusal(error: TokenEndpointError): Partial<CredentialHealth> {
    return {
      refusedCode: error.errorCodes.length ? `AADSTS${error.errorCodes[0]}` : error.error,
      refusedReason: error.description.slice(0, 300),
      refusedAt: this.day(),
    };
  }

  private async recordAccepted(
    name: string,
    used: CertificateVersion,
    refused: TokenEndpointError | undefined,
    newest: CertificateVersion,
    previous: CredentialHealth | undefined,
  ): Promise<void> {
    const health: CredentialHealth = {
      kind: 'certificate',
      acceptedVersion: used.version,
      acceptedThumbprint: used.thumbprint,
      acceptedExpiresOn: iso(used.expiresOn),
      acceptedAt: previous?.acceptedVersion === used.version ? previous.acceptedAt : this.day(),
      ...(refused ? { refusedVersion: newest.version, ...this.refusal(refused) } : {}),
    };
    // An older version signed first because the newest was refused lately: that refusal still stands.
    if (!refused && used.version !== newest.version && previous?.refusedVersion === newest.version) {
      health.refusedVersion = previous.refusedVersion;
      health.refusedCode = previous.refusedCode;
      health.refusedReason = previous.refusedReason;
      health.refusedAt = previous.refusedAt;
    }
    await this.record(name, health);
  }

  private async record(name: string, health: CredentialHealth): Promise<void> {
    if (!this.services.health) return;
    // Timestamps aside, the same answer as last time needs no write.
    const { acceptedAt: _a, refusedAt: _r, ...stable } = health;
    void _a;
    void _r;
    const fingerprint = JSON.stringify(stable);
    if (this.lastWritten.get(name) === fingerprint) return;
    try {
      await this.services.health.put(name, health);
      this.lastWritten.set(name, fingerprint);
    } catch (error) {
      // Health is for the views and the daily check; a Table hiccup must not fail a sign-in.
      this.services.log?.warn('auth.credentialHealth.writeFailed', { error: (error as Error)?.name });
    }
  }

  private async rotationAlert(
    clientId: string,
    certificateName: string,
    newest: CertificateVersion,
    used: CertificateVersion,
    refused: TokenEndpointError,
  ): Promise<void> {
    try {
      await this.services.onRotationAlert?.({
        kind: 'certificate-not-registered',
        clientId,
        certificateName,
        newestVersion: newest.version,
        newestThumbprint: newest.thumbprint,
        newestExpiresOn: iso(newest.expiresOn),
        usedVersion: used.version,
        usedThumbprint: used.thumbprint,
        usedExpiresOn: iso(used.expiresOn),
        code: refused.errorCodes.length ? `AADSTS${refused.errorCodes[0]}` : refused.error,
      });
    } catch (error) {
      this.services.log?.warn('auth.alertFailed', { error: (error as Error)?.name });
    }
  }
}

function noUsableCertificate(name: string, all: CertificateVersion[], now: number): AppError {
  if (all.length === 0)
    return new AppError('ConfigInvalid', `The certificate '${name}' is not in Key Vault`, {
      field: 'CLIENT_CERTIFICATE_NAME',
      detail: 'certificate-missing',
      advice: `Create it with the post-provision hook (infra/hooks/postprovision) or az keyvault certificate create --vault-name <vault> -n ${name} -p @policy.json, then upload its public half (npm run cli -- certificate) to the app registration.`,
    });
  const expired = all.every((v) => v.expiresOn && v.expiresOn.getTime() <= now);
  return new AppError(
    'InvalidClient',
    `Every version of the certificate '${name}' has expired or is disabled`,
    {
      detail: expired ? 'certificate-expired' : 'certificate-disabled',
      advice: `Create a new version in Key Vault (az keyvault certificate create --vault-name <vault> -n ${name} -p "$(az keyvault certificate get-default-policy)" or with the template's policy), upload its public half (npm run cli -- certificate) to App registrations › this app › Certificates & secrets › Certificates, and check the policy's auto-renew action so it does not happen again.`,
    },
  );
}
