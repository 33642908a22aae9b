// The daily alert check with a controllable clock and in-memory state: thresholds, dedupe, versions,
// unknown expiry, connections and failing jobs.
import { checkClientSecret, checkConnections, checkJobs } from '../../../src/alerts/check';
import type { ConnectionSummary, RunSummary } from '../../../src/alerts/deps';
import { EXPIRY, Harness, DAY, silenceLogs } from './fixtures';

silenceLogs();

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
