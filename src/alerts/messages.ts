// What each alert says. Every message a person may receive (log, email through the alert rules,
// Teams, Slack, generic JSON) is built here, once: what is wrong and since when, what stops if
// nothing is done, and exactly what to do. Nothing here may contain a secret value or a URL with a
// credential in it; the inputs are names, dates and reasons only.
import { ALERT_EVENTS, type AlertEvent, type QuotaAlertFacts } from '../log/alertEvents';
import type { ExpiryEvaluation, Severity } from './expiry';

export { ALERT_EVENTS, type AlertEvent };

export interface Alert {
  event: AlertEvent;
  severity: Severity;
  /** One line: what is wrong. */
  title: string;
  /** What happens if nothing is done. */
  impact: string;
  /** Numbered steps, each one sentence. */
  steps: string[];
  /** Label/value pairs shown as a table (Teams facts, Slack fields, JSON). */
  facts: Array<{ name: string; value: string }>;
  /** The structured log fields (also sent in the generic JSON payload). */
  fields: Record<string, string | number | boolean | undefined>;
}

export const RENEW_COMMAND = 'npm run cli -- secret set --expires <YYYY-MM-DD> --value-stdin';

/** The renewal steps, exactly as a person follows them in the Azure portal. */
export function renewalSteps(): string[] {
  return [
    'Open the Azure portal, go to Microsoft Entra ID > App registrations and open this app.',
    'Open Certificates & secrets and choose New client secret; pick an expiry (at most 24 months).',
    'Copy the Value column right away (not the Secret ID: the Value is shown only once).',
    `Store it with: ${RENEW_COMMAND} (paste the Value on standard input; use the expiry date the portal shows), or POST it to /api/secret with {"value", "expiresOn"}.`,
  ];
}

const dateOf = (d: Date): string => d.toISOString().slice(0, 10);

export function secretExpiryAlert(input: {
  secretName: string;
  version: string;
  evaluation: ExpiryEvaluation;
  /** Set when Key Vault itself pushed the event (SecretNearExpiry / SecretExpired). */
  source: 'check' | 'event';
}): Alert {
  const { secretName, version, evaluation } = input;
  const impact =
    'When the client secret expires, sign-in to Microsoft Graph fails: every backup and every restore stops until a new secret is stored.';
  // The logger masks any field whose name contains "secret", so the secret's name travels as
  // `objectName` (Key Vault's own word for it in its events).
  const base = { objectName: secretName, version, source: input.source };
  switch (evaluation.state) {
    case 'unknown':
      return {
        event: ALERT_EVENTS.secretExpiry,
        severity: 'warning',
        title: `The client secret '${secretName}' has no expiry date recorded, so nobody will be warned before it expires`,
        impact,
        steps: [
          'Look up the secret\'s expiry in the Azure portal: App registrations > this app > Certificates & secrets (the "Expires" column).',
          `Store the secret again with its date: ${RENEW_COMMAND}.`,
        ],
        facts: [
          { name: 'Secret', value: secretName },
          { name: 'Expires', value: 'unknown' },
        ],
        fields: { ...base, state: 'unknown', severity: 'warning', threshold: 'unknown' },
      };
    case 'expired':
    case 'due': {
      const expired = evaluation.state === 'expired';
      const when = dateOf(evaluation.expiresOn);
      const threshold = evaluation.state === 'due' ? evaluation.threshold : 'expired';
      return {
        event: ALERT_EVENTS.secretExpiry,
        severity: evaluation.severity,
        title: expired
          ? `The client secret '${secretName}' EXPIRED on ${when}: backups and restores have stopped`
          : `The client secret '${secretName}' expires on ${when} (${evaluation.daysLeft} day${evaluation.daysLeft === 1 ? '' : 's'} left)`,
        impact,
        steps: renewalSteps(),
        facts: [
          { name: 'Secret', value: secretName },
          { name: 'Expires', value: evaluation.expiresOn.toISOString() },
          { name: 'Days left', value: String(Math.max(evaluation.daysLeft, 0)) },
          { name: 'Severity', value: evaluation.severity },
        ],
        fields: {
          ...base,
          state: evaluation.state,
          severity: evaluation.severity,
          threshold,
          daysLeft: evaluation.daysLeft,
          expiresOn: evaluation.expiresOn.toISOString(),
        },
      };
    }
    case 'ok':
      throw new Error('secretExpiryAlert: nothing to report for a secret far from expiry');
  }
}

export function missingSecretAlert(secretName: string): Alert {
  return {
    event: ALERT_EVENTS.secretExpiry,
    severity: 'error',
    title: `No client secret is stored in Key Vault under '${secretName}'`,
    impact: 'Without the client secret no connection can sign in: no backup or restore can run.',
    steps: renewalSteps(),
    facts: [{ name: 'Secret', value: secretName }],
    fields: { objectName: secretName, state: 'missing', severity: 'error', threshold: 'missing' },
  };
}

/**
 * Microsoft refused the app's client secret (wrong value, or expired before anyone renewed it). It
 * goes out as a secret alert, so the deployed "secret expiring" rule emails it: this is the moment
 * that rule exists for, even when the expiry was never recorded.
 */
export function clientSecretRejectedAlert(input: {
  clientId: string;
  code: string;
  title: string;
  explanation: string;
  fix: string;
  connections: string[];
  /** Which credential was refused; a client secret when absent. */
  credential?: { kind: 'secret' | 'certificate' | 'federated'; certificateName?: string };
}): Alert {
  const kind = input.credential?.kind ?? 'secret';
  const what =
    kind === 'certificate'
      ? `certificate${input.credential?.certificateName ? ` '${input.credential.certificateName}'` : ''}`
      : kind === 'federated'
        ? 'federated credential (its managed identity)'
        : 'client secret';
  const facts = [
    { name: 'App (client) id', value: input.clientId },
    { name: 'Credential', value: kind },
    { name: 'Error', value: input.code },
    { name: 'Connections affected', value: input.connections.join(', ') || 'none yet' },
  ];
  return {
    event: ALERT_EVENTS.secretExpiry,
    severity: 'critical',
    title: `Microsoft rejected the app's ${what} (${input.code}): ${input.title}`,
    impact: `${input.explanation} Every backup and restore of the affected connections stops until ${kind === 'secret' ? 'a valid secret is stored' : 'this is fixed'}.`,
    // Secret renewal steps only where a secret is what to renew.
    steps: kind === 'secret' ? [input.fix, ...renewalSteps()] : [input.fix],
    facts,
    fields: {
      state: 'rejected',
      severity: 'critical',
      credentialKind: kind,
      clientId: input.clientId,
      errorCode: input.code,
      connections: input.connections.length,
    },
  };
}

export function connectionReauthAlert(connection: {
  id: string;
  name: string;
  reason: string;
  advice?: string;
}): Alert {
  return {
    event: ALERT_EVENTS.connectionReauth,
    severity: 'error',
    title: `The connection '${connection.name}' needs to be authorized again`,
    impact:
      'Its sign-in was rejected: every job that backs up to this connection stops until someone signs in again.',
    steps: [
      ...(connection.advice ? [connection.advice] : []),
      `Open the setup page, find the connection '${connection.name}' and choose Authorize (or open /api/connections/${connection.id}/authorize).`,
    ],
    facts: [
      { name: 'Connection', value: connection.name },
      { name: 'Reason', value: connection.reason },
    ],
    fields: {
      connectionId: connection.id,
      connectionName: connection.name,
      reason: connection.reason,
      advice: connection.advice,
      severity: 'error',
    },
  };
}

/** A job whose recent runs all failed: what the check found and the alert reports. */
export interface FailingJob {
  id: string;
  name: string;
  consecutiveFailures: number;
  lastRunId: string;
  lastStatus: string;
  lastError?: string;
}

export function failingJobAlert(job: FailingJob): Alert {
  return {
    event: ALERT_EVENTS.jobFailing,
    severity: 'error',
    title: `The job '${job.name}' failed its last ${job.consecutiveFailures} runs`,
    impact: 'New and changed files in its source are not being backed up.',
    steps: [
      `Open the last run (/api/runs/${job.lastRunId}) to see each failed file and why.`,
      'Fix the cause (connection, quota, permissions or names), then run the job again from the setup page.',
    ],
    facts: [
      { name: 'Job', value: job.name },
      { name: 'Failed runs in a row', value: String(job.consecutiveFailures) },
      { name: 'Last status', value: job.lastStatus },
      ...(job.lastError ? [{ name: 'Last error', value: job.lastError }] : []),
    ],
    fields: {
      kind: 'job-failing',
      jobId: job.id,
      jobName: job.name,
      consecutiveFailures: job.consecutiveFailures,
      lastRunId: job.lastRunId,
      lastStatus: job.lastStatus,
      lastError: job.lastError,
      severity: 'error',
    },
  };
}

export function quotaExceededAlert(run: QuotaAlertFacts): Alert {
  return {
    event: ALERT_EVENTS.quotaExceeded,
    severity: 'error',
    title: `The job '${run.jobName}' stopped: its drive is out of space`,
    impact: 'No file of this job is backed up until the drive has room for them.',
    steps: [
      run.message,
      'Free space in the OneDrive or SharePoint library (empty its recycle bin; versions of replaced files count too) or raise its quota.',
      `Run the job again; the run record (/api/runs/${run.runId}) shows the quota it saw.`,
    ],
    facts: [
      { name: 'Job', value: run.jobName },
      ...(run.neededBytes !== undefined ? [{ name: 'Bytes needed', value: String(run.neededBytes) }] : []),
      ...(run.remainingBytes !== undefined
        ? [{ name: 'Bytes remaining', value: String(run.remainingBytes) }]
        : []),
      ...(run.state ? [{ name: 'Quota state', value: run.state }] : []),
    ],
    fields: {
      kind: 'quota',
      jobId: run.jobId,
      jobName: run.jobName,
      runId: run.runId,
      neededBytes: run.neededBytes,
      remainingBytes: run.remainingBytes,
      quotaState: run.state,
      severity: 'error',
    },
  };
}

/** The whole message as plain text (generic JSON `text`, Slack fallback, the CLI). */
export function alertText(alert: Alert): string {
  return [
    alert.title + '.',
    alert.impact,
    'What to do:',
    ...alert.steps.map((s, i) => `${i + 1}. ${s}`),
  ].join('\n');
}
