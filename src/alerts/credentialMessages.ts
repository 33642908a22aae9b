// What the alerts about a certificate credential say: its days left (the version the app
// registration trusts), a renewed version Microsoft does not accept yet, and a renewed version the
// identity platform refused so the previous one signed instead. Names, versions, thumbprints and
// dates only. They go out as `alert.secret_expiry` lines: the deployed "client secret expiring"
// rule exists for exactly this, whichever kind of credential the app uses.
import { ALERT_EVENTS } from '../log/alertEvents';
import type { ExpiryEvaluation } from './expiry';
import type { Alert } from './messages';

export const CERTIFICATE_COMMAND = 'npm run cli -- certificate';

export function uploadSteps(version?: string): string[] {
  return [
    `Print the certificate's public half: ${CERTIFICATE_COMMAND}${version ? ` --version ${version}` : ''} --out app.cer (it shows the thumbprint too).`,
    'In the Azure portal open Microsoft Entra ID > App registrations > this app > Certificates & secrets > Certificates and choose Upload certificate; pick app.cer.',
    'Keep the older certificate registered until it expires: both are accepted meanwhile, so nothing stops while you do this.',
  ];
}

const day = (d: Date) => d.toISOString().slice(0, 10);

export function certificateExpiryAlert(input: {
  certificateName: string;
  version: string;
  thumbprint: string;
  evaluation: Exclude<ExpiryEvaluation, { state: 'ok' } | { state: 'unknown' }>;
  /** A newer version exists in Key Vault (renewed) but has not been accepted yet. */
  renewedVersion?: string;
}): Alert {
  const { evaluation } = input;
  const expired = evaluation.state === 'expired';
  const when = day(evaluation.expiresOn);
  return {
    event: ALERT_EVENTS.secretExpiry,
    severity: evaluation.severity,
    title: expired
      ? `The app's certificate '${input.certificateName}' (${input.thumbprint}) EXPIRED on ${when}: sign-in stops until a renewed certificate is registered`
      : `The certificate the app registration trusts ('${input.certificateName}', ${input.thumbprint}) expires on ${when} (${evaluation.daysLeft} day${evaluation.daysLeft === 1 ? '' : 's'} left)`,
    impact:
      'When it expires Microsoft refuses the assertions it signs: every backup and restore stops until the renewed certificate is uploaded to the app registration.',
    steps: input.renewedVersion
      ? uploadSteps(input.renewedVersion)
      : [
          `Renew it in Key Vault (az keyvault certificate create with the same policy, or let the policy's auto-renew action run), then:`,
          ...uploadSteps(),
        ],
    facts: [
      { name: 'Certificate', value: input.certificateName },
      { name: 'Thumbprint', value: input.thumbprint },
      { name: 'Expires', value: evaluation.expiresOn.toISOString() },
      { name: 'Days left', value: String(Math.max(evaluation.daysLeft, 0)) },
    ],
    fields: {
      objectName: input.certificateName,
      credentialKind: 'certificate',
      version: input.version,
      state: evaluation.state,
      severity: evaluation.severity,
      threshold: evaluation.state === 'due' ? evaluation.threshold : 'expired',
      daysLeft: evaluation.daysLeft,
      expiresOn: evaluation.expiresOn.toISOString(),
    },
  };
}

export function certificateRenewedNotAcceptedAlert(input: {
  certificateName: string;
  newestVersion: string;
  newestThumbprint: string;
  trustedVersion?: string;
  trustedThumbprint?: string;
  trustedExpiresOn?: string;
  /** Microsoft refused the renewed version (a fallback happened), rather than it being merely unused so far. */
  refusedCode?: string;
}): Alert {
  const deadline = input.trustedExpiresOn ? ` before ${input.trustedExpiresOn.slice(0, 10)}` : '';
  return {
    event: ALERT_EVENTS.secretExpiry,
    severity: 'warning',
    title: input.refusedCode
      ? `Key Vault renewed the certificate '${input.certificateName}', but Microsoft refuses the new one (${input.refusedCode}): upload its public half to the app registration${deadline}`
      : `Key Vault renewed the certificate '${input.certificateName}' and the app registration has not accepted the new one yet: upload its public half${deadline}`,
    impact: `Sign-in still works with the previous certificate${input.trustedThumbprint ? ` (${input.trustedThumbprint})` : ''}; when that one expires, every backup and restore stops unless the renewed certificate is registered.`,
    steps: uploadSteps(input.newestVersion),
    facts: [
      { name: 'Certificate', value: input.certificateName },
      { name: 'Renewed version thumbprint', value: input.newestThumbprint },
      { name: 'Trusted version thumbprint', value: input.trustedThumbprint ?? 'unknown' },
      { name: 'Trusted version expires', value: input.trustedExpiresOn ?? 'unknown' },
    ],
    fields: {
      objectName: input.certificateName,
      credentialKind: 'certificate',
      version: input.newestVersion,
      state: 'renewed-not-registered',
      severity: 'warning',
      threshold: 'renewed',
      errorCode: input.refusedCode,
    },
  };
}
