// The alert checks with a controllable clock and in-memory state: thresholds, dedupe, versions,
// unknown expiry, Key Vault events, connections and failing jobs.
import type { EventGridEvent } from '../../../src/app/types';
import { MemoryAlertStateStore, fromRowKey, rowKey } from '../../../src/alerts/alertState';
import { compareWithAppRegistration } from '../../../src/alerts/appRegistration';
import { checkClientSecret, checkConnections, checkJobs } from '../../../src/alerts/check';
import type {
  AlertCheckDeps,
  AlertDeps,
  ConnectionSummary,
  RunSummary,
  SecretProperties,
} from '../../../src/alerts/deps';
import { decideKeyVaultEvent, vaultNameOf } from '../../../src/alerts/eventGrid';
import { daysLeft, evaluateExpiry, severityFor } from '../../../src/alerts/expiry';
import { handleKeyVaultEvent } from '../../../src/alerts/functions';
import type { Alert } from '../../../src/alerts/messages';
import { checkSecretValue, parseExpiry } from '../../../src/alerts/secretSet';
import { isAppError } from '../../../src/errors';
import { createLogger, setLogSink, type LogSink } from '../../../src/log/logger';

let previousSink: LogSink;
beforeAll(() => {
  previousSink = setLogSink(() => undefined);
});
afterAll(() => setLogSink(previousSink));

const DAY = 86_400_000;
const EXPIRY = new Date('2027-05-01T00:00:00Z');

class Harness {
  clock = new Date(EXPIRY.getTime() - 40 * DAY + 8 * 3600_000); // 08:00 UTC, like the daily timer
  secret: SecretProperties | undefined = { version: 'v1', expiresOn: EXPIRY, enabled: true };
  connections: ConnectionSummary[] = [];
  runs = new Map<string, RunSummary[]>();
  alerts: Alert[] = [];
  state = new MemoryAlertStateStore();
  deps: AlertCheckDeps = {
    secretName: 'graph-client-secret',
    thresholdsDays: [30, 14, 7, 3, 1],
    failingRunsThreshold: 3,
    secrets: { getSecretProperties: async () => this.secret },
    connections: { list: async () => this.connections },
    jobs: {
      list: async () => [...this.runs.keys()].map((id) => ({ id, name: `Job ${id}`, enabled: true })),
    },
    runs: { listForJob: async (jobId, limit = 50) => (this.runs.get(jobId) ?? []).slice(0, limit) },
    state: this.state,
    notifier: { notify: async (alert) => void this.alerts.push(alert) },
    log: createLogger({ test: 'alerts' }),
    now: () => this.clock,
  };
  advanceDays(days: number): void {
    this.clock = new Date(this.clock.getTime() + days * DAY);
  }
}

describe('expiry evaluation', () => {
  it('rounds days left up and calls zero or less expired', () => {
    expect(daysLeft(EXPIRY, new Date(EXPIRY.getTime() - 16 * 3600_000))).toBe(1);
    expect(daysLeft(EXPIRY, new Date(EXPIRY.getTime() - DAY))).toBe(1);
    expect(daysLeft(EXPIRY, new Date(EXPIRY.getTime() - DAY - 1))).toBe(2);
    expect(evaluateExpiry(EXPIRY, EXPIRY).state).toBe('expired');
  });

  it('picks the tightest threshold crossed, with severity rising towards expiry', () => {
    const at = (days: number) => evaluateExpiry(EXPIRY, new Date(EXPIRY.getTime() - days * DAY));
    expect(at(31)).toMatchObject({ state: 'ok', daysLeft: 31 });
    expect(at(30)).toMatchObject({ state: 'due', threshold: 30, severity: 'info' });
    expect(at(15)).toMatchObject({ state: 'due', threshold: 30 });
    expect(at(14)).toMatchObject({ state: 'due', threshold: 14, severity: 'warning' });
    expect(at(5)).toMatchObject({ state: 'due', threshold: 7, severity: 'warning' });
    expect(at(3)).toMatchObject({ state: 'due', threshold: 3, severity: 'error' });
    expect(at(1)).toMatchObject({ state: 'due', threshold: 1, severity: 'error' });
    expect(at(-1)).toMatchObject({ state: 'expired', severity: 'critical' });
    expect(evaluateExpiry(undefined, EXPIRY)).toEqual({ state: 'unknown', severity: 'warning' });
    expect(['info', 'warning', 'error', 'critical'].indexOf(severityFor(30))).toBeLessThan(
      ['info', 'warning', 'error', 'critical'].indexOf(severityFor(0)),
    );
  });

  it('uses configured thresholds', () => {
    expect(evaluateExpiry(EXPIRY, new Date(EXPIRY.getTime() - 50 * DAY), [60, 10])).toMatchObject({
      state: 'due',
      threshold: 60,
    });
    expect(evaluateExpiry(EXPIRY, new Date(EXPIRY.getTime() - 20 * DAY), [10])).toMatchObject({
      state: 'ok',
    });
  });
});

describe('secret expiry check', () => {
  it('fires each threshold exactly once as the clock runs from 40 days before expiry to after it', async () => {
    const h = new Harness();
    const firedOn: Array<{ daysBefore: number; threshold: unknown; severity: string }> = [];
    for (let day = 40; day >= -3; day--) {
      // Twice a day: the second run must stay silent.
      for (let run = 0; run < 2; run++) {
        const before = h.alerts.length;
        await checkClientSecret(h.deps);
        for (const alert of h.alerts.slice(before))
          firedOn.push({ daysBefore: day, threshold: alert.fields.threshold, severity: alert.severity });
      }
      h.advanceDays(1);
    }
    expect(firedOn).toEqual([
      { daysBefore: 30, threshold: 30, severity: 'info' },
      { daysBefore: 14, threshold: 14, severity: 'warning' },
      { daysBefore: 7, threshold: 7, severity: 'warning' },
      { daysBefore: 3, threshold: 3, severity: 'error' },
      { daysBefore: 1, threshold: 1, severity: 'error' },
      { daysBefore: 0, threshold: 'expired', severity: 'critical' },
    ]);
    expect(h.alerts.every((a) => a.event === 'alert.secret_expiry')).toBe(true);
  });

  it('says nothing far from expiry', async () => {
    const h = new Harness();
    h.clock = new Date(EXPIRY.getTime() - 400 * DAY);
    for (let day = 0; day < 60; day++) {
      const result = await checkClientSecret(h.deps);
      expect(result.state).toBe('ok');
      h.advanceDays(1);
    }
    expect(h.alerts).toEqual([]);
  });

  it('warns about a missing expiry once a day', async () => {
    const h = new Harness();
    h.secret = { version: 'v1', enabled: true };
    await checkClientSecret(h.deps);
    await checkClientSecret(h.deps);
    expect(h.alerts).toHaveLength(1);
    expect(h.alerts[0]).toMatchObject({ severity: 'warning', fields: { state: 'unknown' } });
    expect(h.alerts[0].title).toMatch(/no expiry date/);
    h.advanceDays(1);
    await checkClientSecret(h.deps);
    expect(h.alerts).toHaveLength(2);
  });

  it('starts over for a new secret version', async () => {
    const h = new Harness();
    h.advanceDays(20); // 20 days left: threshold 30
    await checkClientSecret(h.deps);
    expect(h.alerts.map((a) => a.fields.threshold)).toEqual([30]);
    // Renewed, but (say) with a short expiry again: the same threshold speaks for the new version.
    h.secret = { version: 'v2', expiresOn: new Date(EXPIRY.getTime() + 5 * DAY), enabled: true };
    await checkClientSecret(h.deps);
    await checkClientSecret(h.deps);
    expect(h.alerts.map((a) => [a.fields.version, a.fields.threshold])).toEqual([
      ['v1', 30],
      ['v2', 30],
    ]);
  });

  it('tells what expires, what stops and exactly how to renew', async () => {
    const h = new Harness();
    h.advanceDays(35); // 5 days left
    await checkClientSecret(h.deps);
    const alert = h.alerts[0];
    expect(alert.title).toContain('2027-05-01');
    expect(alert.impact).toMatch(/every backup and every restore stops/);
    const steps = alert.steps.join('\n');
    expect(steps).toMatch(/App registrations/);
    expect(steps).toMatch(/Certificates & secrets/);
    expect(steps).toMatch(/New client secret/);
    expect(steps).toMatch(/Value column .*not the Secret ID/);
    expect(steps).toContain('npm run cli -- secret set --expires <YYYY-MM-DD> --value-stdin');
  });

  it('reports a missing secret', async () => {
    const h = new Harness();
    h.secret = undefined;
    expect(await checkClientSecret(h.deps)).toMatchObject({ state: 'missing', notified: true });
    expect(h.alerts[0].title).toMatch(/No client secret/);
  });
});

describe('Key Vault events', () => {
  const ours = { vaultName: 'my-vault', secretName: 'graph-client-secret' };
  const event = (data: unknown, eventType = 'Microsoft.KeyVault.SecretNearExpiry'): EventGridEvent => ({
    id: 'e1',
    subject: 'graph-client-secret',
    eventType,
    eventTime: '2027-04-01T00:00:00Z',
    data,
  });
  const data = (overrides: Record<string, unknown> = {}) => ({
    Id: 'https://my-vault.vault.azure.net/secrets/graph-client-secret/v1',
    VaultName: 'my-vault',
    ObjectType: 'Secret',
    ObjectName: 'graph-client-secret',
    Version: 'v1',
    NBF: 1_700_000_000,
    EXP: EXPIRY.getTime() / 1000,
    ...overrides,
  });

  it('takes the vault name from KEY_VAULT_URL', () => {
    expect(vaultNameOf('https://My-Vault.vault.azure.net/')).toBe('my-vault');
  });

  it('accepts ours, in Key Vault casing and in the documentation samples casing', () => {
    expect(decideKeyVaultEvent(event(data()), ours)).toMatchObject({
      action: 'notify',
      event: { version: 'v1', expiresOn: EXPIRY },
    });
    const camel = {
      vaultName: 'MY-VAULT',
      objectType: 'Secret',
      'objectName ': 'graph-client-secret',
      version: 'v1',
      exp: String(EXPIRY.getTime() / 1000),
    };
    expect(decideKeyVaultEvent(event(camel, 'Microsoft.KeyVault.SecretExpired'), ours)).toMatchObject({
      action: 'notify',
    });
  });

  it('ignores other vaults, other secrets, other object and event types', () => {
    expect(decideKeyVaultEvent(event(data({ VaultName: 'other-vault' })), ours)).toMatchObject({
      action: 'ignore',
    });
    expect(decideKeyVaultEvent(event(data({ ObjectName: 'conn-1-refresh-token' })), ours)).toMatchObject({
      action: 'ignore',
    });
    expect(decideKeyVaultEvent(event(data({ ObjectType: 'Key' })), ours)).toMatchObject({ action: 'ignore' });
    expect(
      decideKeyVaultEvent(event(data(), 'Microsoft.KeyVault.SecretNewVersionCreated'), ours),
    ).toMatchObject({
      action: 'ignore',
    });
  });

  it.each([
    ['no data', undefined],
    ['data not an object', 'text'],
    ['no vault name', { ObjectName: 'graph-client-secret' }],
    ['no object name', { VaultName: 'my-vault' }],
    [
      'an expiry that is not a time',
      { VaultName: 'my-vault', ObjectName: 'graph-client-secret', EXP: 'soon' },
    ],
  ])('rejects a malformed event (%s)', (_label, payload) => {
    let thrown: unknown;
    try {
      decideKeyVaultEvent(event(payload), ours);
    } catch (error) {
      thrown = error;
    }
    expect(isAppError(thrown, 'MessageInvalid')).toBe(true);
  });

  it('notifies through the same path and dedupe as the daily check', async () => {
    const h = new Harness();
    h.advanceDays(11); // 29 days left
    const deps = { ...h.deps, vaultName: 'my-vault' } as unknown as AlertDeps;
    const lines: string[] = [];
    const log = {
      ...createLogger(),
      debug: (e: string) => void lines.push(`debug ${e}`),
      warn: (e: string) => void lines.push(`warn ${e}`),
      info: (e: string) => void lines.push(`info ${e}`),
    };
    await handleKeyVaultEvent(deps, event(data({ VaultName: 'other' })), { log: log as never });
    expect(h.alerts).toHaveLength(0);
    expect(lines).toContain('debug secret.event.ignored');
    await handleKeyVaultEvent(deps, event(data()), { log: log as never });
    expect(h.alerts).toHaveLength(1);
    expect(h.alerts[0].fields).toMatchObject({ source: 'event', threshold: 30 });
    await checkClientSecret(h.deps); // the timer the same day: already said
    expect(h.alerts).toHaveLength(1);
    await expect(handleKeyVaultEvent(deps, event({}), { log: log as never })).rejects.toMatchObject({
      code: 'MessageInvalid',
    });
    expect(lines).toContain('warn secret.event.rejected');
  });

  it("falls back to the event's own attributes when the vault cannot be read", async () => {
    const h = new Harness();
    h.advanceDays(38); // 2 days left
    h.deps.secrets = { getSecretProperties: async () => Promise.reject(new Error('vault down')) };
    await handleKeyVaultEvent({ ...h.deps, vaultName: 'my-vault' } as unknown as AlertDeps, event(data()), {
      log: createLogger(),
    });
    expect(h.alerts.map((a) => a.fields.threshold)).toEqual([3]);
  });
});

describe('connections and jobs in the same check', () => {
  const conn = (status: string, statusCode?: string): ConnectionSummary => ({
    id: 'c1',
    name: 'Office OneDrive',
    status,
    statusCode,
    statusReason: statusCode && 'The refresh token was revoked',
    advice: 'Authorize again.',
  });

  it('reports a connection needing re-authorization once per reason, and again after it healed', async () => {
    const h = new Harness();
    h.connections = [conn('reauth-required', 'invalid_grant')];
    await checkConnections(h.deps);
    await checkConnections(h.deps);
    expect(h.alerts).toHaveLength(1);
    expect(h.alerts[0]).toMatchObject({
      event: 'alert.connection_reauth',
      fields: { connectionId: 'c1' },
    });
    expect(h.alerts[0].steps.join(' ')).toContain('/api/connections/c1/authorize');
    h.connections = [conn('reauth-required', 'AADSTS70008')];
    await checkConnections(h.deps);
    expect(h.alerts).toHaveLength(2);
    h.connections = [conn('authorized')];
    await checkConnections(h.deps);
    h.connections = [conn('reauth-required', 'AADSTS70008')];
    await checkConnections(h.deps);
    expect(h.alerts).toHaveLength(3);
  });

  it('reports a job whose last 3 finished runs failed, once per streak', async () => {
    const h = new Harness();
    const run = (id: string, status: string): RunSummary => ({
      id,
      status,
      error: status === 'failed' ? 'quota' : undefined,
    });
    h.runs.set('j1', [run('r3', 'failed'), run('r2', 'partially-failed'), run('r1', 'succeeded')]);
    await checkJobs(h.deps);
    expect(h.alerts).toHaveLength(0); // two failures are not yet a pattern
    h.runs.set('j1', [run('r5', 'running'), run('r4', 'failed'), ...h.runs.get('j1')!]);
    await checkJobs(h.deps);
    expect(h.alerts).toHaveLength(1); // the running one is not counted
    expect(h.alerts[0]).toMatchObject({
      event: 'alert.job_failing',
      fields: { jobId: 'j1', consecutiveFailures: 3, lastRunId: 'r4', kind: 'job-failing' },
    });
    h.runs.set('j1', [run('r6', 'failed'), ...h.runs.get('j1')!.slice(1)]);
    await checkJobs(h.deps);
    expect(h.alerts).toHaveLength(1); // the same streak, longer
    h.runs.set('j1', [run('r7', 'succeeded'), ...h.runs.get('j1')!]);
    await checkJobs(h.deps);
    h.runs.set('j1', [
      run('r10', 'failed'),
      run('r9', 'failed'),
      run('r8', 'timed-out'),
      ...h.runs.get('j1')!,
    ]);
    await checkJobs(h.deps);
    expect(h.alerts).toHaveLength(2); // a new streak after a success
  });
});

describe('storing the client secret: input rules', () => {
  const now = new Date('2026-06-01T12:00:00Z');

  it('reads a date as the start of that day in UTC and accepts ISO date-times with a zone', () => {
    expect(parseExpiry('2027-05-01', now).toISOString()).toBe('2027-05-01T00:00:00.000Z');
    expect(parseExpiry('2027-05-01T10:30:00+02:00', now).toISOString()).toBe('2027-05-01T08:30:00.000Z');
  });

  it.each([
    [undefined, /required/],
    ['', /required/],
    ['01/05/2027', /expected/],
    ['2027-02-30', /not a calendar date/],
    ['2027-05-01T10:30:00', /expected/],
    ['2026-05-31', /in the past/],
  ])('rejects expiry %p', (input, message) => {
    expect(() => parseExpiry(input, now)).toThrow(message);
  });

  it('refuses the Secret ID in place of the Value, without echoing either', () => {
    const secretId = '8a6f3c2e-1b4d-4e5f-9a7b-0c1d2e3f4a5b';
    let error: unknown;
    try {
      checkSecretValue(secretId);
    } catch (e) {
      error = e;
    }
    expect(isAppError(error, 'ValidationFailed')).toBe(true);
    expect(JSON.stringify((error as { toJSON(): unknown }).toJSON())).not.toContain(secretId);
    expect((error as Error).message).toMatch(/Secret ID/);
    expect(checkSecretValue('  abc~DEF.ghi_jkl-MNO012345678901  \n')).toBe('abc~DEF.ghi_jkl-MNO012345678901');
  });

  it('compares the date with the app registration credential the value starts with', () => {
    const expires = new Date('2027-05-01T00:00:00Z');
    const creds = [
      { keyId: 'k1', hint: 'abc', endDateTime: '2027-05-01T09:12:00Z' },
      { keyId: 'k2', hint: 'xyz', endDateTime: '2026-12-01T00:00:00Z' },
    ];
    expect(compareWithAppRegistration('abc~restofvalue1234', expires, creds).status).toBe('match');
    const mismatch = compareWithAppRegistration('xyz~restofvalue1234', expires, creds);
    expect(mismatch).toMatchObject({ status: 'mismatch', endDateTime: '2026-12-01T00:00:00.000Z' });
    expect(mismatch.message).toContain('--expires 2026-12-01');
    expect(compareWithAppRegistration('qqq~restofvalue1234', expires, creds).status).toBe('not-found');
    expect(compareWithAppRegistration('abc', expires, undefined).status).toBe('unavailable');
  });
});

describe('dedupe row keys', () => {
  it('escapes characters Table storage refuses, reversibly', () => {
    const key = 'job/with#odd?chars\\~';
    expect(rowKey(key)).toMatch(/^[A-Za-z0-9._~-]+$/);
    expect(fromRowKey(rowKey(key))).toBe(key);
  });
});
