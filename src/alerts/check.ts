// The alert check: the client secret's expiry, connections that need re-authorization, and jobs
// whose recent runs keep failing. The daily timer runs all three; Key Vault's Event Grid events run
// the secret part. Each thing is said once (see ./alertState.ts), so running the check more often,
// or from two triggers at once, never repeats a message.
import { AppError } from '../errors';
import { isFailedRunStatus, isFinalRunStatus } from '../store/runStatus';
import { PARTITIONS } from './alertState';
import type { AlertCheckDeps, SecretProperties } from './deps';
import { evaluateExpiry, expiryDedupeKey } from './expiry';
import {
  clientSecretRejectedAlert,
  connectionReauthAlert,
  failingJobAlert,
  missingSecretAlert,
  secretExpiryAlert,
  type FailingJob,
} from './messages';
import { emitMetric } from './notifier';
import { checkClientCredential, type CredentialCheckResult } from './credentialCheck';

export { reportCertificateNotRegistered } from './credentialCheck';

export interface SecretCheckResult {
  state: 'ok' | 'due' | 'expired' | 'unknown' | 'missing';
  version?: string;
  expiresOn?: string;
  daysLeft?: number;
  threshold?: number | 'expired';
  /** True when this run said something (false when nothing was due or it was already said). */
  notified: boolean;
}

export async function checkClientSecret(
  deps: AlertCheckDeps,
  options: { source?: 'check' | 'event'; fallback?: SecretProperties } = {},
): Promise<SecretCheckResult> {
  const now = deps.now();
  const source = options.source ?? 'check';
  let props: SecretProperties | undefined;
  try {
    props = await deps.secrets.getSecretProperties(deps.secretName);
  } catch (error) {
    // Key Vault pushed an event but cannot be read back: the event's own attributes still say
    // which version expires when, which is enough to warn.
    if (!options.fallback) throw error;
    deps.log.warn('secret.expiry.read_failed', {
      objectName: deps.secretName,
      errorCode: (error as AppError).code,
    });
    props = options.fallback;
  }
  if (!props) {
    const claimed = await deps.state.claim(
      PARTITIONS.secretExpiry,
      `missing-${now.toISOString().slice(0, 10)}`,
      {
        note: 'missing',
        at: now.toISOString(),
      },
    );
    if (claimed) await deps.notifier.notify(missingSecretAlert(deps.secretName));
    return { state: 'missing', notified: claimed };
  }

  const evaluation = evaluateExpiry(props.expiresOn, now, deps.thresholdsDays);
  const result: SecretCheckResult = {
    state: evaluation.state,
    version: props.version,
    expiresOn: props.expiresOn?.toISOString(),
    daysLeft: evaluation.state === 'unknown' ? undefined : evaluation.daysLeft,
    threshold:
      evaluation.state === 'due'
        ? evaluation.threshold
        : evaluation.state === 'expired'
          ? 'expired'
          : undefined,
    notified: false,
  };
  if (result.daysLeft !== undefined) emitMetric(deps.log, 'secret.daysLeft', result.daysLeft);

  const key = expiryDedupeKey(evaluation, props.version, now);
  if (key === undefined) return result;
  result.notified = await deps.state.claim(PARTITIONS.secretExpiry, key, {
    note: String(result.threshold ?? evaluation.state),
    at: now.toISOString(),
  });
  if (result.notified)
    await deps.notifier.notify(
      secretExpiryAlert({ secretName: deps.secretName, version: props.version, evaluation, source }),
    );
  else deps.log.debug('secret.expiry.already_notified', { objectName: deps.secretName, key });
  return result;
}

/** The stable text a connection's problem is deduped on: a new reason is news, the same one is not. */
function reasonOf(connection: { statusCode?: string; statusReason?: string }): string {
  return [connection.statusCode, connection.statusReason].filter(Boolean).join(': ') || 'sign-in rejected';
}

/**
 * Reports one connection in reauth-required, once per reason. Exported so the token service can
 * call it the moment it flags a connection instead of waiting for the daily check.
 */
export async function reportConnectionReauth(
  deps: Pick<AlertCheckDeps, 'state' | 'notifier' | 'now'>,
  connection: { id: string; name: string; statusCode?: string; statusReason?: string; advice?: string },
): Promise<boolean> {
  const reason = reasonOf(connection);
  const row = { note: reason, at: deps.now().toISOString() };
  const existing = await deps.state.get(PARTITIONS.connectionReauth, connection.id);
  let speak: boolean;
  if (!existing) speak = await deps.state.claim(PARTITIONS.connectionReauth, connection.id, row);
  else if (existing.row.note !== reason)
    speak = await deps.state.replace(PARTITIONS.connectionReauth, connection.id, row, existing.etag);
  else speak = false;
  if (speak)
    await deps.notifier.notify(
      connectionReauthAlert({ id: connection.id, name: connection.name, reason, advice: connection.advice }),
    );
  return speak;
}

/** Tells once a day per app and error that Microsoft rejects the client secret (see clientSecretRejectedAlert). */
export async function reportClientSecretRejected(
  deps: Pick<AlertCheckDeps, 'state' | 'notifier' | 'now'>,
  input: Parameters<typeof clientSecretRejectedAlert>[0],
): Promise<boolean> {
  const day = deps.now().toISOString().slice(0, 10);
  const key = `${input.clientId}-${input.code}-${day}`.replace(/[^0-9A-Za-z-]/g, '-');
  const speak = await deps.state.claim(PARTITIONS.clientRejected, key, {
    note: input.code,
    at: deps.now().toISOString(),
  });
  if (speak) await deps.notifier.notify(clientSecretRejectedAlert(input));
  return speak;
}

export async function checkConnections(
  deps: AlertCheckDeps,
): Promise<{ needing: string[]; notified: string[] }> {
  if (!deps.connections) return { needing: [], notified: [] };
  const connections = await deps.connections.list();
  const needing = connections.filter((c) => c.status === 'reauth-required');
  const notified: string[] = [];
  for (const connection of needing)
    if (await reportConnectionReauth(deps, connection)) notified.push(connection.id);
  // A connection that is healthy again (or gone) forgets what was said, so losing it again speaks.
  const needingIds = new Set(needing.map((c) => c.id));
  for (const { key } of await deps.state.list(PARTITIONS.connectionReauth))
    if (!needingIds.has(key)) await deps.state.delete(PARTITIONS.connectionReauth, key);
  emitMetric(deps.log, 'connections.reauthRequired', needing.length);
  return { needing: needing.map((c) => c.id), notified };
}

/** Runs looked at per job: enough to see a streak and the run before it. */
const RUN_WINDOW = 20;

export type { FailingJob };

/** Jobs whose latest `threshold` finished runs all failed (runs still going are not counted). */
export async function findFailingJobs(
  deps: Pick<AlertCheckDeps, 'jobs' | 'runs' | 'failingRunsThreshold'>,
): Promise<{ failing: Array<FailingJob & { streakRunIds: string[] }>; healthy: string[] }> {
  const failing: Array<FailingJob & { streakRunIds: string[] }> = [];
  const healthy: string[] = [];
  if (!deps.jobs || !deps.runs) return { failing, healthy };
  for (const job of await deps.jobs.list()) {
    const finished = (await deps.runs.listForJob(job.id, RUN_WINDOW)).filter((r) =>
      isFinalRunStatus(r.status),
    );
    let streak = 0;
    while (streak < finished.length && isFailedRunStatus(finished[streak].status)) streak += 1;
    if (streak === 0) healthy.push(job.id);
    if (streak >= deps.failingRunsThreshold && job.enabled) {
      const last = finished[0];
      failing.push({
        id: job.id,
        name: job.name,
        consecutiveFailures: streak,
        lastRunId: last.id,
        lastStatus: last.status,
        lastError: last.error,
        streakRunIds: finished.slice(0, streak).map((r) => r.id),
      });
    }
  }
  return { failing, healthy };
}

export async function checkJobs(deps: AlertCheckDeps): Promise<{ failing: string[]; notified: string[] }> {
  const { failing, healthy } = await findFailingJobs(deps);
  const notified: string[] = [];
  const at = deps.now().toISOString();
  for (const job of failing) {
    // The row remembers the run that was latest when the streak was reported; a streak that no
    // longer contains it is a new one (a success came in between) and is reported again.
    const existing = await deps.state.get(PARTITIONS.jobFailing, job.id);
    const row = { note: job.lastRunId, at };
    let speak: boolean;
    if (!existing) speak = await deps.state.claim(PARTITIONS.jobFailing, job.id, row);
    else if (!job.streakRunIds.includes(existing.row.note))
      speak = await deps.state.replace(PARTITIONS.jobFailing, job.id, row, existing.etag);
    else speak = false;
    if (speak) {
      const { streakRunIds: _ids, ...details } = job;
      void _ids;
      await deps.notifier.notify(failingJobAlert(details));
      notified.push(job.id);
    }
  }
  const healthySet = new Set(healthy);
  for (const { key } of await deps.state.list(PARTITIONS.jobFailing))
    if (healthySet.has(key)) await deps.state.delete(PARTITIONS.jobFailing, key);
  emitMetric(deps.log, 'jobs.failing', failing.length);
  return { failing: failing.map((j) => j.id), notified };
}

export interface AlertCheckReport {
  secret?: SecretCheckResult;
  /** The certificate or federated credential, when the app uses one instead of the secret. */
  credential?: CredentialCheckResult;
  connections?: { needing: string[]; notified: string[] };
  jobs?: { failing: string[]; notified: string[] };
  errors: Array<{ part: string; code: string; message: string }>;
}

/**
 * The whole check. Each part runs even when another fails (a Table outage must not hide an expiring
 * secret); failures are collected and rethrown at the end so the host records the run as failed.
 */
export async function runAlertCheck(deps: AlertCheckDeps): Promise<AlertCheckReport> {
  const report: AlertCheckReport = { errors: [] };
  const part = async <K extends 'secret' | 'credential' | 'connections' | 'jobs'>(
    name: K,
    run: () => Promise<NonNullable<AlertCheckReport[K]>>,
  ): Promise<void> => {
    try {
      report[name] = await run();
    } catch (error) {
      const code = error instanceof AppError ? error.code : 'Error';
      const message = error instanceof Error ? error.message : String(error);
      report.errors.push({ part: name, code, message });
      deps.log.error('alert.check.part_failed', { part: name, errorCode: code, error });
    }
  };
  // The app's own credential: the client secret, or the certificate (or federation) used instead.
  const credential = deps.credential;
  if (credential && credential.kind !== 'secret')
    await part('credential', () => checkClientCredential({ ...deps, credential }));
  else await part('secret', () => checkClientSecret(deps));
  await part('connections', () => checkConnections(deps));
  await part('jobs', () => checkJobs(deps));
  deps.log.info('alert.check.done', {
    expiryState: report.secret?.state ?? report.credential?.state,
    daysLeft: report.secret?.daysLeft ?? report.credential?.daysLeft,
    reauthRequired: report.connections?.needing.length,
    failingJobs: report.jobs?.failing.length,
    errors: report.errors.length,
  });
  if (report.errors.length > 0)
    throw new AppError(
      'Transient',
      `Alert check: ${report.errors.map((e) => `${e.part} failed (${e.code})`).join(', ')}`,
    );
  return report;
}
