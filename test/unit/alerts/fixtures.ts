// Shared by the alert tests: a controllable clock and in-memory state around the alert checks,
// and a log sink that keeps the checks quiet.
import { MemoryAlertStateStore } from '../../../src/alerts/alertState';
import type {
  AlertCheckDeps,
  ConnectionSummary,
  RunSummary,
  SecretProperties,
} from '../../../src/alerts/deps';
import type { Alert } from '../../../src/alerts/messages';
import { createLogger, setLogSink, type LogSink } from '../../../src/log/logger';

/** Sends the log nowhere for the tests of the calling file. */
export function silenceLogs(): void {
  let previousSink: LogSink;
  beforeAll(() => {
    previousSink = setLogSink(() => undefined);
  });
  afterAll(() => setLogSink(previousSink));
}

export const DAY = 86_400_000;
export const EXPIRY = new Date('2027-05-01T00:00:00Z');

export class Harness {
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
