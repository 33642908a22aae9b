// `status`: is the app up, which backends are real or emulated, how many days the client secret has
// left, and what needs a person (connections to re-authorize, jobs that keep failing).
import { clientFrom, CONNECT_OPTIONS, JSON_OPTION } from './client';
import { writeLine, type Command } from './command';
import { printJson } from './format';

interface Health {
  version?: string;
  backends?: Record<string, string>;
}

interface CredentialView {
  kind?: string;
  state?: string;
  certificateName?: string;
  thumbprint?: string;
  expiresOn?: string;
  daysLeft?: number;
  accepted?: boolean;
  renewedThumbprint?: string;
  lastRefusal?: { code?: string; reason?: string; at?: string };
  error?: { message?: string };
}

interface Status {
  credential?: CredentialView;
  clientSecret?: {
    name?: string;
    state?: string;
    expiresOn?: string;
    daysLeft?: number;
    error?: { message?: string };
  };
  connectionsNeedingReauthorization?: Array<{ id: string; name: string; reason?: string; advice?: string }>;
  failingJobs?: Array<{
    id: string;
    name: string;
    consecutiveFailures: number;
    lastStatus?: string;
    lastError?: string;
  }>;
  driveQuota?: Array<{ jobName: string; state: string; remaining?: number; total?: number }>;
}

export const statusCommand: Command = {
  path: ['status'],
  summary: "The app's health, the client secret's days left, and what needs attention",
  usage: '[--json]',
  options: { ...CONNECT_OPTIONS, ...JSON_OPTION },
  async run(values, io) {
    const client = clientFrom(values, io);
    const health = await client.get<Health>('health');
    const status = await client.get<Status>('status');
    if (values.json) {
      printJson(io, { health, status });
      return 0;
    }
    const backends = Object.entries(health.backends ?? {})
      .map(([name, kind]) => `${name} ${kind}`)
      .join(', ');
    writeLine(io.stdout, `App ${client.base}: up, version ${health.version ?? '?'} (${backends}).`);
    const credential = status.credential ?? {};
    if (credential.kind && credential.kind !== 'secret') {
      printCredential(io, credential);
    } else {
      const secret = status.clientSecret ?? {};
      if (secret.error) writeLine(io.stdout, `Client secret: could not be read (${secret.error.message}).`);
      else if (secret.state === 'missing')
        writeLine(
          io.stdout,
          `Client secret '${secret.name}': not stored yet — store it with: ${client.hints.command('secret', 'set', '--expires', '<YYYY-MM-DD>')}`,
        );
      else if (secret.daysLeft === undefined)
        writeLine(
          io.stdout,
          `Client secret '${secret.name}': no expiry recorded — store it again with --expires.`,
        );
      else
        writeLine(
          io.stdout,
          `Client secret '${secret.name}': ${secret.daysLeft} days left (expires ${secret.expiresOn?.slice(0, 10)}).`,
        );
    }
    const reauth = status.connectionsNeedingReauthorization ?? [];
    if (reauth.length === 0) writeLine(io.stdout, 'Connections needing re-authorization: none.');
    for (const c of reauth)
      writeLine(
        io.stdout,
        `Connection '${c.name}' (${c.id}) needs re-authorization: ${c.reason ?? ''} — run: ${client.hints.command('connection', 'authorize', c.id)}`,
      );
    const failing = Array.isArray(status.failingJobs) ? status.failingJobs : [];
    if (failing.length === 0) writeLine(io.stdout, 'Failing jobs: none.');
    for (const job of failing)
      writeLine(
        io.stdout,
        `Job '${job.name}' (${job.id}) failed its last ${job.consecutiveFailures} runs (${job.lastStatus ?? 'failed'}${job.lastError ? `: ${job.lastError}` : ''}) — see: ${client.hints.command('runs', job.id)}`,
      );
    // Only drives that need attention: a normal quota is not news.
    const quotas = Array.isArray(status.driveQuota) ? status.driveQuota : [];
    for (const q of quotas.filter((q) => q.state !== 'normal'))
      writeLine(
        io.stdout,
        `Drive quota of job '${q.jobName}': ${q.state}${q.remaining !== undefined ? ` (${q.remaining} of ${q.total ?? '?'} bytes left)` : ''}.`,
      );
    return 0;
  },
};

/** The certificate's or federation's line: which kind, how healthy, and the last refusal if any. */
function printCredential(io: Parameters<Command['run']>[1], c: CredentialView): void {
  const refusal = c.lastRefusal?.code
    ? ` Last refused ${c.lastRefusal.at?.slice(0, 16) ?? ''} (${c.lastRefusal.code}): ${c.lastRefusal.reason ?? ''}`
    : '';
  if (c.error) writeLine(io.stdout, `Credential: could not be read (${c.error.message}).`);
  else if (c.kind === 'federated')
    writeLine(
      io.stdout,
      `Credential: federated (managed identity): nothing to renew, nothing expires.${refusal}`,
    );
  else if (c.state === 'missing')
    writeLine(
      io.stdout,
      `Credential: certificate '${c.certificateName}' is not in Key Vault (run the postprovision hook).${refusal}`,
    );
  else
    writeLine(
      io.stdout,
      `Credential: certificate '${c.certificateName}' ${c.thumbprint}: ${c.daysLeft} days left (expires ${c.expiresOn?.slice(0, 10)})${
        c.accepted ? '' : ', not yet accepted by Microsoft'
      }${c.renewedThumbprint ? `; renewed ${c.renewedThumbprint} not yet accepted: upload it (certificate --out app.cer)` : ''}.${refusal}`,
    );
}
