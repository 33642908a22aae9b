// GET /api/status: what a person needs to see at a glance (the setup page shows it): the client
// secret's days left and expiry date (never its value), connections that need re-authorization
// with the reason and advice, and jobs whose recent runs keep failing. Read-only: it says nothing
// to any channel and records no dedupe state.
import { AppError } from '../errors';
import type { AlertDeps } from './deps';
import { evaluateExpiry } from './expiry';
import { findFailingJobs } from './check';
import { evaluateCredential } from './credentialCheck';

type Part<T> = T | { error: { code: string; message: string } };

async function part<T>(run: () => Promise<T>): Promise<Part<T>> {
  try {
    return await run();
  } catch (error) {
    const code = error instanceof AppError ? error.code : 'InternalError';
    const message = error instanceof AppError ? error.message : 'failed';
    return { error: { code, message } };
  }
}

export async function alertStatus(deps: AlertDeps): Promise<Record<string, unknown>> {
  const now = deps.now();
  const clientSecret = await part(async () => {
    const props = await deps.secrets.getSecretProperties(deps.secretName);
    if (!props) return { name: deps.secretName, state: 'missing' };
    const evaluation = evaluateExpiry(props.expiresOn, now, deps.thresholdsDays);
    return {
      name: deps.secretName,
      version: props.version,
      state: evaluation.state,
      expiresOn: props.expiresOn?.toISOString(),
      daysLeft: evaluation.state === 'unknown' ? undefined : evaluation.daysLeft,
      severity: 'severity' in evaluation ? evaluation.severity : undefined,
      threshold: evaluation.state === 'due' ? evaluation.threshold : undefined,
    };
  });
  // Which kind of credential the app signs in with, and its health (never a value).
  const credential = await part(async () => {
    if (!deps.credential || deps.credential.kind === 'secret') return { kind: 'secret' };
    const { evaluation: _e, ...view } = await evaluateCredential(deps.credential, now, deps.thresholdsDays);
    void _e;
    return view;
  });
  const connections = await part(async () =>
    ((await deps.connections?.list()) ?? [])
      .filter((c) => c.status === 'reauth-required')
      .map((c) => ({
        id: c.id,
        name: c.name,
        status: c.status,
        reasonCode: c.statusCode,
        reason: c.statusReason,
        advice: c.advice,
        authorizePath: `/api/connections/${encodeURIComponent(c.id)}/authorize`,
      })),
  );
  const failingJobs = await part(async () =>
    (await findFailingJobs(deps)).failing.map(({ streakRunIds: _ids, ...job }) => {
      void _ids;
      return job;
    }),
  );
  // The drive quota each job's latest run saw: the page and `cli status` show it per job.
  const driveQuota = await part(async () => {
    const jobs = (await deps.jobs?.list()) ?? [];
    const out = [];
    for (const job of jobs) {
      const latest = (await deps.runs?.listForJob(job.id, 5))?.find((r) => r.quota);
      if (latest?.quota) out.push({ jobId: job.id, jobName: job.name, runId: latest.id, ...latest.quota });
    }
    return out;
  });
  const webhooks = await part(() => deps.webhooks.list());
  return {
    time: now.toISOString(),
    credential,
    clientSecret,
    connectionsNeedingReauthorization: connections,
    failingJobs,
    failingRunsThreshold: deps.failingRunsThreshold,
    driveQuota,
    webhooks,
  };
}
