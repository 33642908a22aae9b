// Every deployed alert rule fires on what the code writes in Azure. Each alert path runs the way the
// Functions host runs it: the handler registered by functions/register.ts, called with an
// InvocationContext, so the lines counted are the ones that reach the context (and from there
// Application Insights' `traces.message`). The rules' queries come from the compiled ARM template,
// and a small evaluator applies their `where` clauses to those lines: a rule that no path satisfies,
// or a path whose lines no rule counts, fails.
import type { InvocationContext as AzureInvocationContext } from '@azure/functions';
import { registerFunctions, type FunctionsApp } from '../../functions/register';
import { MemoryAlertStateStore } from '../../src/alerts/alertState';
import { checkConnections, checkJobs } from '../../src/alerts/check';
import type { AlertDeps, ConnectionSummary, RunSummary } from '../../src/alerts/deps';
import { handleKeyVaultEvent } from '../../src/alerts/functions';
import { quotaExceededAlert } from '../../src/alerts/messages';
import { AlertNotifier } from '../../src/alerts/notifier';
import { QUEUES, poisonQueueName } from '../../src/app/queues';
import type { EventGridEvent, FunctionDefinition } from '../../src/app/types';
import type { BackupDeps } from '../../src/backup/deps';
import { handlePlanMessage } from '../../src/backup/planner';
import { handleUploadPoison } from '../../src/backup/poison';
import { startRun } from '../../src/backup/scheduler';
import { handleUploadMessage } from '../../src/backup/uploader';
import { ManualClock } from '../../src/runtime/clock';
import { ALERT_EVENTS } from '../../src/log/alertEvents';
import type { RestoreDeps } from '../../src/restore/deps';
import { handleRestorePoison } from '../../src/restore/worker';
import { createLogger } from '../../src/log/logger';
import { compile, formatDiagnostic, type ArmTemplate } from '../../scripts/bicep';
import {
  backupDeps,
  content,
  createBackupJob,
  memoryQueue,
  MiB,
  newContainer,
  putBlob,
  startGraph,
  type GraphFixture,
  type QueuedMessage,
} from '../integration/backupHarness';
import { allResources, describeWithBicep, ofType, props, variableValue, type Json } from './arm';

interface Rule {
  key: string;
  query: string;
  matches(line: string): boolean;
}

/** The rules' queries, one per element of the copy loop, with the loop's variables filled in. */
function alertRules(template: ArmTemplate): Rule[] {
  const [rules] = ofType(allResources(template), 'Microsoft.Insights/scheduledQueryRules');
  const table = variableValue(rules, "variables('alertRules')") as Json[];
  const criteria = (props(rules).criteria as { allOf: Json[] }).allOf;
  if (criteria.length !== 1) throw new Error('expected one criterion per rule');
  const expression = String(criteria[0].query);
  const m = /^\[format\('((?:[^']|'')*)',\s*(.+)\)\]$/.exec(expression);
  if (!m) throw new Error(`unexpected query expression ${expression}`);
  const format = m[1].replace(/''/g, "'");
  const args = [...m[2].matchAll(/variables\('alertRules'\)\[copyIndex\(\)\]\.(\w+)/g)].map((a) => a[1]);
  return table.map((row) => {
    const query = format.replace(/\{(\d+)\}/g, (_, i: string) => String(row[args[Number(i)]]));
    return { key: String(row.key), query, matches: tracesFilter(query) };
  });
}

/**
 * The `traces` branch of a rule's query as a predicate on one `traces.message`. Only the clauses
 * the rules use are understood; any other clause throws, so a changed query is noticed here rather
 * than silently matching everything.
 */
function tracesFilter(query: string): (message: string) => boolean {
  const branch = /\(traces((?:\s*\|[^|()]*(?:\([^()]*(?:\([^()]*\))?[^()]*\))*[^|()]*)*)\)/.exec(query);
  if (!branch) throw new Error(`no traces branch in ${query}`);
  const clauses = branch[1]
    .split('|')
    .map((c) => c.trim())
    .filter(Boolean);
  const tests: Array<(message: string) => boolean> = [];
  for (const clause of clauses) {
    let c: RegExpExecArray | null;
    if ((c = /^where message has '([^']+)'$/.exec(clause))) {
      const term = c[1].toLowerCase();
      tests.push((message) => message.toLowerCase().includes(term));
    } else if ((c = /^where tostring\(parse_json\(message\)\.event\) == '([^']+)'$/.exec(clause))) {
      const event = c[1];
      tests.push((message) => {
        try {
          return String((JSON.parse(message) as { event?: unknown }).event) === event;
        } catch {
          return false;
        }
      });
    } else if (!/^project\b/.test(clause)) {
      throw new Error(`the test does not understand the clause "${clause}" of ${query}`);
    }
  }
  return (message) => tests.every((t) => t(message));
}

type Handler = (input: unknown, context: AzureInvocationContext) => Promise<unknown>;

/** Registers one definition the way functions/index.ts does and returns its handler as the host calls it. */
function hosted(definition: FunctionDefinition): Handler {
  const handlers = new Map<string, Handler>();
  const record = (name: string, options: { handler: Handler }) => void handlers.set(name, options.handler);
  const app = {
    http: record,
    timer: record,
    storageQueue: record,
    eventGrid: record,
  } as unknown as FunctionsApp;
  registerFunctions(app, [definition], { SCHEDULER_CRON: '0 0 * * * *', SECRET_CHECK_CRON: '0 0 8 * * *' });
  return handlers.get(definition.name)!;
}

/** An InvocationContext that keeps every line written through it. */
function context(lines: string[], dequeueCount = 1): AzureInvocationContext {
  const keep = (...args: unknown[]) => void lines.push(args.map(String).join(' '));
  return {
    invocationId: 'inv-1',
    functionName: 'f',
    triggerMetadata: { id: 'm1', dequeueCount },
    log: keep,
    trace: keep,
    debug: keep,
    info: keep,
    warn: keep,
    error: keep,
  } as unknown as AzureInvocationContext;
}

const queueFn = (
  name: string,
  queueName: string,
  run: (m: unknown) => Promise<void>,
): FunctionDefinition => ({
  name,
  trigger: { type: 'queue', queueName, handler: async (message) => run(message) },
});
const timerFn = (name: string, run: () => Promise<unknown>): FunctionDefinition => ({
  name,
  trigger: { type: 'timer', scheduleSetting: 'SCHEDULER_CRON', handler: async () => void (await run()) },
});

/** Lines written while the backup pipeline's messages are delivered by the host, poison ones to the poison function. */
async function deliver(deps: BackupDeps, queue: QueuedMessage[], poison: (m: QueuedMessage) => boolean) {
  const planner = hosted(queueFn('planner', QUEUES.plan, (m) => handlePlanMessage(deps, m)));
  const uploader = hosted(queueFn('uploader', QUEUES.upload, (m) => handleUploadMessage(deps, m)));
  const uploaderPoison = hosted(
    queueFn('uploaderPoison', poisonQueueName(QUEUES.upload), (m) => handleUploadPoison(deps, m)),
  );
  const lines: string[] = [];
  while (queue.length) {
    const next = queue.shift()!;
    // The host hands the function the JSON it decoded from the queue's base64 text.
    const message = JSON.parse(JSON.stringify(next.message)) as unknown;
    if (next.queue === QUEUES.plan) await planner(message, context(lines));
    else if (poison(next)) await uploaderPoison(message, context(lines, 6));
    else await uploader(message, context(lines));
  }
  return lines;
}

function alertDeps(overrides: Partial<AlertDeps>): AlertDeps {
  const log = createLogger();
  return {
    secretName: 'graph-client-secret',
    thresholdsDays: [30, 14, 7, 3, 1],
    failingRunsThreshold: 3,
    secrets: { getSecretProperties: async () => undefined },
    state: new MemoryAlertStateStore(),
    notifier: new AlertNotifier({ log }),
    log,
    now: () => new Date('2027-04-01T08:00:00Z'),
    vaultName: 'kv-test',
    ...overrides,
  } as AlertDeps;
}

describeWithBicep('alert rules against the lines each alert path writes', (compiler) => {
  let rules: Rule[];
  let fx: GraphFixture;
  const paths: Record<string, { rule: string; lines: string[] }> = {};

  async function backupWorld(name: string) {
    const container = await newContainer();
    const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
    const { queue, send } = memoryQueue();
    const deps = backupDeps({
      fx,
      clock,
      send,
      rootFolder: `Apps/${name}`,
      plannerPageSize: 10,
      logName: name,
    });
    const job = await createBackupJob(deps, {
      name,
      container: container.containerName,
      now: new Date(clock.now()),
    });
    return { container, deps, queue, job };
  }

  beforeAll(async () => {
    const built = await compile(compiler(), 'infra/main.bicep');
    if (!built.template) throw new Error(built.diagnostics.map(formatDiagnostic).join('\n'));
    rules = alertRules(built.template);
    fx = await startGraph();

    // A message that failed every delivery: the host moves it to backup-upload-poison and calls
    // uploaderPoison. Its file was the run's only one, so the run ends failed.
    {
      const w = await backupWorld('poison');
      await putBlob(w.container, 'p.bin', content(10));
      await startRun(w.deps, w.job.id, 'manual');
      const lines = await deliver(w.deps, w.queue, (m) => m.queue === QUEUES.upload);
      paths.poison = { rule: 'poison', lines };
      paths.failedRun = { rule: 'run-failed', lines };
    }

    // A full drive: what the run must upload does not fit in what remains, so the run stops before
    // sending a byte and the quota alert goes out through the notifier, as the root wires it.
    {
      const w = await backupWorld('quota');
      w.deps.onQuotaAlert = (alert) =>
        new AlertNotifier({ log: createLogger() }).notify(quotaExceededAlert(alert));
      fx.graph.setQuota(fx.driveId, 1 * MiB);
      await putBlob(w.container, 'small.txt', content(10));
      await putBlob(w.container, 'big.bin', content(2 * MiB));
      await startRun(w.deps, w.job.id, 'manual');
      const lines = await deliver(w.deps, w.queue, () => false);
      fx.graph.setQuota(fx.driveId, 1024 * 1024 * MiB);
      paths.quota = { rule: 'quota-exceeded', lines };
    }

    // Two files, one of whose tasks failed every delivery (moved to poison): the other is uploaded,
    // so the run ends partially failed. The doomed one is too large for a simple upload, so it has a
    // task of its own (small files share one).
    {
      const w = await backupWorld('partial');
      await putBlob(w.container, 'good.txt', content(10));
      await putBlob(w.container, 'doomed.bin', content(5 * MiB));
      await startRun(w.deps, w.job.id, 'manual');
      const lines = await deliver(
        w.deps,
        w.queue,
        (m) => m.queue === QUEUES.upload && (m.message as { blobName?: string }).blobName === 'doomed.bin',
      );
      paths.partiallyFailedRun = { rule: 'run-failed', lines };
    }

    // A restore message nobody can read, moved to restore-poison: still a poison alert.
    {
      const lines: string[] = [];
      const deps = { log: createLogger({ area: 'restore' }) } as unknown as RestoreDeps;
      const fn = queueFn('restorerPoison', poisonQueueName(QUEUES.restore), (m) =>
        handleRestorePoison(deps, m),
      );
      await hosted(fn)('not a restore message', context(lines, 6));
      paths.restorePoison = { rule: 'poison', lines };
    }

    // Key Vault's SecretNearExpiry through the secretNearExpiry Event Grid function.
    {
      const lines: string[] = [];
      const deps = alertDeps({
        secrets: {
          getSecretProperties: async () => ({
            version: 'v1',
            expiresOn: new Date('2027-04-08T00:00:00Z'),
            enabled: true,
          }),
        },
      });
      const fn: FunctionDefinition = {
        name: 'secretNearExpiry',
        trigger: { type: 'eventGrid', handler: async (event, ctx) => handleKeyVaultEvent(deps, event, ctx) },
      };
      const event: EventGridEvent = {
        id: 'e1',
        subject: 'graph-client-secret',
        eventType: 'Microsoft.KeyVault.SecretNearExpiry',
        eventTime: '2027-04-01T00:00:00Z',
        data: {
          Id: 'https://kv-test.vault.azure.net/secrets/graph-client-secret/v1',
          VaultName: 'kv-test',
          ObjectType: 'Secret',
          ObjectName: 'graph-client-secret',
          Version: 'v1',
          EXP: Date.parse('2027-04-08T00:00:00Z') / 1000,
        },
      };
      await hosted(fn)(event, context(lines));
      paths.secret = { rule: 'secret-expiry', lines };
    }

    // The daily check: a connection whose sign-in was rejected, and a job whose last three runs failed.
    {
      const connections: ConnectionSummary[] = [
        { id: 'c1', name: 'Office', status: 'reauth-required', statusCode: 'invalid_grant' },
      ];
      const runs: RunSummary[] = ['r3', 'r2', 'r1'].map((id) => ({
        id,
        status: 'failed',
        endedAt: '2027-03-31T02:00:00Z',
      }));
      const deps = alertDeps({
        connections: { list: async () => connections },
        jobs: { list: async () => [{ id: 'j1', name: 'Nightly', enabled: true }] },
        runs: { listForJob: async () => runs },
      });
      const reauth: string[] = [];
      await hosted(timerFn('alertCheck', () => checkConnections(deps)))(
        { isPastDue: false },
        context(reauth),
      );
      paths.reauth = { rule: 'connection-reauth', lines: reauth };
      const failing: string[] = [];
      await hosted(timerFn('alertCheck', () => checkJobs(deps)))({ isPastDue: false }, context(failing));
      paths.jobFailing = { rule: 'job-failing', lines: failing };
    }
  }, 180_000);

  afterAll(async () => fx?.graph.stop());

  it('reads one rule per alert event from the compiled template', () => {
    expect(rules.map((r) => r.key).sort()).toEqual(
      ['connection-reauth', 'job-failing', 'poison', 'quota-exceeded', 'run-failed', 'secret-expiry'].sort(),
    );
    for (const rule of rules)
      expect(Object.values(ALERT_EVENTS).some((e) => rule.query.includes(e))).toBe(true);
  });

  it.each([
    ['poison', 'a poison upload message'],
    ['restorePoison', 'an unreadable poison restore message'],
    ['failedRun', 'a run that ended failed'],
    ['partiallyFailedRun', 'a run that ended partially failed'],
    ['quota', 'a run whose files do not fit in the drive'],
    ['secret', 'Key Vault reporting the secret near expiry'],
    ['reauth', 'a connection needing re-authorization'],
    ['jobFailing', 'a job failing three runs in a row'],
  ])('%s: %s writes, through the invocation context, a line its rule counts', (path) => {
    const { rule: key, lines } = paths[path];
    const rule = rules.find((r) => r.key === key)!;
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.filter((l) => rule.matches(l))).not.toHaveLength(0);
  });

  it('a partially failed run is reported once, at its end', () => {
    const rule = rules.find((r) => r.key === 'run-failed')!;
    const hits = paths.partiallyFailedRun.lines.filter((l) => rule.matches(l));
    expect(hits).toHaveLength(1);
    expect(JSON.parse(hits[0])).toMatchObject({ status: 'partially-failed', kind: 'backup' });
  });

  it('every rule is fired by at least one path', () => {
    const all = Object.values(paths).flatMap((p) => p.lines);
    const silent = rules.filter((r) => !all.some((l) => r.matches(l))).map((r) => r.key);
    expect(silent).toEqual([]);
  });

  it('an ordinary line matches no rule', () => {
    const line = JSON.stringify({ event: 'run.finished', status: 'succeeded' });
    expect(rules.filter((r) => r.matches(line))).toEqual([]);
  });
});
