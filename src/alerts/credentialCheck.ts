// The daily check's part for the app's credential when it is not a client secret. A certificate:
// the days left of the version the app registration trusts (the newest one Microsoft accepted,
// recorded by the token path), at the same thresholds as a secret, and a warning once per renewed
// version that Microsoft has not accepted yet. Federation: nothing expires, and the check says so.
import type { ClientCredentialKind } from '../config/credentialSettings';
import type { CertificateVersion } from '../secrets/certificateStore';
import type { CredentialHealth, CredentialHealthStore } from '../store/credentialHealth';
import { PARTITIONS } from './alertState';
import { certificateExpiryAlert, certificateRenewedNotAcceptedAlert } from './credentialMessages';
import type { AlertCheckDeps } from './deps';
import { evaluateExpiry, expiryDedupeKey } from './expiry';
import { emitMetric } from './notifier';

export interface CredentialCheckDeps {
  kind: ClientCredentialKind;
  certificateName: string;
  certificates?: { versions(name: string): Promise<CertificateVersion[]> };
  health?: CredentialHealthStore;
  /** Client id of the app whose federated credential is used (status only). */
  clientId?: string;
}

export interface CredentialCheckResult {
  kind: ClientCredentialKind;
  state: 'ok' | 'due' | 'expired' | 'missing' | 'federated' | 'unknown';
  certificateName?: string;
  /** The version the app registration trusts (accepted last), else the newest. */
  version?: string;
  thumbprint?: string;
  expiresOn?: string;
  daysLeft?: number;
  /** Whether Microsoft has accepted that version (false: nobody signed in with it yet). */
  accepted?: boolean;
  /** A newer version in Key Vault that Microsoft has not accepted yet. */
  renewedVersion?: string;
  renewedThumbprint?: string;
  lastRefusal?: { code?: string; reason?: string; at?: string; version?: string };
  notified: boolean;
}

function refusalOf(health: CredentialHealth | undefined): CredentialCheckResult['lastRefusal'] {
  if (!health?.refusedCode) return undefined;
  return {
    code: health.refusedCode,
    reason: health.refusedReason,
    at: health.refusedAt,
    version: health.refusedVersion,
  };
}

/** What the status view and the check both show; reads only, says nothing. */
export async function evaluateCredential(
  credential: CredentialCheckDeps,
  now: Date,
  thresholds: readonly number[],
): Promise<Omit<CredentialCheckResult, 'notified'> & { evaluation?: ReturnType<typeof evaluateExpiry> }> {
  if (credential.kind === 'federated') {
    const health = await credential.health?.get(`federated-${credential.clientId ?? ''}`);
    return { kind: 'federated', state: 'federated', lastRefusal: refusalOf(health) };
  }
  const name = credential.certificateName;
  const versions = (await credential.certificates?.versions(name)) ?? [];
  const health = await credential.health?.get(name);
  if (versions.length === 0)
    return { kind: 'certificate', state: 'missing', certificateName: name, lastRefusal: refusalOf(health) };
  const newest = versions[0];
  const acceptedVersion = versions.find((v) => v.version === health?.acceptedVersion);
  const trusted = acceptedVersion ?? newest;
  const evaluation = evaluateExpiry(trusted.expiresOn, now, thresholds);
  const renewed = acceptedVersion && newest.version !== acceptedVersion.version ? newest : undefined;
  return {
    kind: 'certificate',
    state: evaluation.state,
    certificateName: name,
    version: trusted.version,
    thumbprint: trusted.thumbprint,
    expiresOn: trusted.expiresOn?.toISOString(),
    daysLeft: evaluation.state === 'unknown' ? undefined : evaluation.daysLeft,
    accepted: Boolean(acceptedVersion),
    renewedVersion: renewed?.version,
    renewedThumbprint: renewed?.thumbprint,
    lastRefusal: refusalOf(health),
    evaluation,
  };
}

export async function checkClientCredential(
  deps: AlertCheckDeps & { credential: CredentialCheckDeps },
): Promise<CredentialCheckResult> {
  const now = deps.now();
  const { evaluation, ...result } = await evaluateCredential(deps.credential, now, deps.thresholdsDays);
  let notified = false;
  if (result.state === 'federated') {
    deps.log.info('credential.check.federated', {
      note: 'federated credential: nothing to renew, nothing expires',
    });
    return { ...result, notified };
  }
  if (result.daysLeft !== undefined) emitMetric(deps.log, 'certificate.daysLeft', result.daysLeft);
  if (evaluation && (evaluation.state === 'due' || evaluation.state === 'expired')) {
    const key = `cert-${expiryDedupeKey(evaluation, result.version!, now)}`;
    if (
      await deps.state.claim(PARTITIONS.secretExpiry, key, {
        note: String(result.state),
        at: now.toISOString(),
      })
    ) {
      notified = true;
      await deps.notifier.notify(
        certificateExpiryAlert({
          certificateName: result.certificateName!,
          version: result.version!,
          thumbprint: result.thumbprint!,
          evaluation,
          renewedVersion: result.renewedVersion,
        }),
      );
    }
  }
  if (result.renewedVersion) {
    notified =
      (await reportCertificateNotRegistered(deps, {
        certificateName: result.certificateName!,
        newestVersion: result.renewedVersion,
        newestThumbprint: result.renewedThumbprint!,
        usedVersion: result.version,
        usedThumbprint: result.thumbprint,
        usedExpiresOn: result.expiresOn,
        code: result.lastRefusal?.version === result.renewedVersion ? result.lastRefusal.code : undefined,
      })) || notified;
  }
  return { ...result, notified };
}

/** Once per renewed version: Key Vault renewed the certificate and Microsoft does not accept it yet. */
export async function reportCertificateNotRegistered(
  deps: Pick<AlertCheckDeps, 'state' | 'notifier' | 'now'>,
  input: {
    certificateName: string;
    newestVersion: string;
    newestThumbprint: string;
    usedVersion?: string;
    usedThumbprint?: string;
    usedExpiresOn?: string;
    code?: string;
  },
): Promise<boolean> {
  const speak = await deps.state.claim(PARTITIONS.secretExpiry, `cert-renewed-${input.newestVersion}`, {
    note: input.code ?? 'not accepted yet',
    at: deps.now().toISOString(),
  });
  if (speak)
    await deps.notifier.notify(
      certificateRenewedNotAcceptedAlert({
        certificateName: input.certificateName,
        newestVersion: input.newestVersion,
        newestThumbprint: input.newestThumbprint,
        trustedVersion: input.usedVersion,
        trustedThumbprint: input.usedThumbprint,
        trustedExpiresOn: input.usedExpiresOn,
        refusedCode: input.code,
      }),
    );
  return speak;
}
