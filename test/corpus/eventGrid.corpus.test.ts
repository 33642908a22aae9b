// Bad Event Grid deliveries to the Key Vault expiry function, through the local host's webhook
// (POST /runtime/webhooks/eventgrid?functionName=secretNearExpiry), the path Event Grid posts to.
// Each must end in a clear refusal (a 4xx, or a 5xx Event Grid retries and then dead-letters, with
// the reason logged), must not raise an alert or write alert state, and must not stop the genuine
// event from being acted on. The handshake must answer with exactly the code it was sent.
import { MemoryAlertStateStore } from '../../src/alerts/alertState';
import type { AlertDeps } from '../../src/alerts/deps';
import { createAlertFunctions } from '../../src/alerts/functions';
import type { Alert } from '../../src/alerts/messages';
import { setLogSink, type LogSink } from '../../src/log/logger';
import { createLogger } from '../../src/log/logger';
import { startLocalHost, type LocalHost } from '../../src/local/host';
import { azuriteConnectionString } from '../helpers/azurite';

const KEY = 'event-grid-corpus-function-key';
const DAY = 86_400_000;
const NOW = new Date('2027-04-01T08:00:00Z');
/** 20 days left: the 30-day threshold is due, so a genuine event raises exactly one alert. */
const EXPIRY = new Date(NOW.getTime() + 20 * DAY);

let host: LocalHost;
let previousSink: LogSink;
const logs: Array<Record<string, unknown>> = [];
const alerts: Alert[] = [];
const state = new MemoryAlertStateStore();
const vaultReads: string[] = [];

const deps = {
  vaultName: 'my-vault',
  secretName: 'graph-client-secret',
  thresholdsDays: [30, 14, 7, 3, 1],
  failingRunsThreshold: 3,
  secrets: {
    getSecretProperties: async (name: string) => {
      vaultReads.push(name);
      return { version: 'v1', expiresOn: EXPIRY, enabled: true };
    },
  },
  state,
  notifier: { notify: async (alert: Alert) => void alerts.push(alert) },
  log: createLogger({ test: 'event-grid-corpus' }),
  now: () => NOW,
  // The admin operations are not reachable from this function; nothing here may call them.
  secretSet: undefined,
  webhooks: undefined,
} as unknown as AlertDeps;

beforeAll(async () => {
  previousSink = setLogSink((line) => logs.push(JSON.parse(line) as Record<string, unknown>));
  host = await startLocalHost({
    // The real entry (its handler and name) with test dependencies; nothing else is served.
    functions: createAlertFunctions(async () => deps).filter((f) => f.name === 'secretNearExpiry'),
    port: 0,
    embedded: false,
    env: {
      AzureWebJobsStorage: azuriteConnectionString(),
      KEY_VAULT_URL: 'https://my-vault.vault.azure.net/',
      GRAPH_CLIENT_ID: 'event-grid-corpus-client',
      LOCAL_FUNCTION_KEY: KEY,
    },
  });
});

afterAll(async () => {
  await host?.stop();
  setLogSink(previousSink);
});

beforeEach(() => {
  logs.length = 0;
});

const webhook = (): string =>
  `${host.url}/runtime/webhooks/eventgrid?functionName=secretNearExpiry&code=${KEY}`;

async function post(
  body: string,
  kind = 'Notification',
): Promise<{ status: number; body: Record<string, unknown> | undefined }> {
  const response = await fetch(webhook(), {
    method: 'POST',
    headers: { 'aeg-event-type': kind, 'content-type': 'application/json' },
    body,
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

const goodEvent = (id = 'good-1'): Record<string, unknown> => ({
  id,
  subject: 'graph-client-secret',
  eventType: 'Microsoft.KeyVault.SecretNearExpiry',
  eventTime: NOW.toISOString(),
  dataVersion: '1',
  data: {
    Id: 'https://my-vault.vault.azure.net/secrets/graph-client-secret/v1',
    VaultName: 'my-vault',
    ObjectType: 'Secret',
    ObjectName: 'graph-client-secret',
    Version: 'v1',
    EXP: EXPIRY.getTime() / 1000,
  },
});

/** Everything an event could change: alerts sent and the dedupe state behind them. */
const stored = (): unknown => ({ alerts: alerts.length, state: [...state.rows.entries()] });

const errorCode = (body: Record<string, unknown> | undefined): unknown =>
  (body?.error as { code?: string } | undefined)?.code;

describe('Event Grid: malformed deliveries are refused with the reason and change nothing', () => {
  const malformed: Array<[string, () => unknown, RegExp]> = [
    [
      'a Key Vault event without data',
      () => [{ ...goodEvent('no-data'), data: undefined }],
      /data is missing/,
    ],
    ['data that is an array', () => [{ ...goodEvent('arr'), data: [1, 2] }], /data is missing/],
    [
      'data without the vault name',
      () => [{ ...goodEvent('nv'), data: { ObjectName: 'graph-client-secret', EXP: 1 } }],
      /VaultName is missing/,
    ],
    [
      'an expiry that is not a time',
      () => [{ ...goodEvent('exp'), data: { ...(goodEvent().data as object), EXP: 'next tuesday' } }],
      /EXP is not a Unix time/,
    ],
    ['no eventType', () => [{ ...goodEvent('nt'), eventType: undefined }], /eventType is missing/],
  ];

  it.each(malformed)('%s', async (_label, make, reason) => {
    const before = stored();
    const response = await post(JSON.stringify(make()));
    // The function refuses it; the host answers so that Event Grid retries and then dead-letters.
    expect(response.status).toBe(500);
    expect(errorCode(response.body)).toBe('HandlerFailed');
    const rejected = logs.find((l) => l.event === 'secret.event.rejected');
    expect(rejected?.reason).toMatch(reason);
    expect(stored()).toEqual(before);
  });

  it.each([
    ['a body that is not JSON', '{"id": "x", "eventType": '],
    ['an empty body', ''],
    ['XML', '<event><id>1</id></event>'],
  ])('%s is a 400 before any function runs', async (_label, body) => {
    const before = stored();
    const reads = vaultReads.length;
    const response = await post(body);
    expect(response.status).toBe(400);
    expect(errorCode(response.body)).toBe('ValidationFailed');
    expect(vaultReads.length).toBe(reads);
    expect(stored()).toEqual(before);
  });

  it('an event type the function does not handle is acknowledged and ignored', async () => {
    const before = stored();
    const reads = vaultReads.length;
    for (const eventType of [
      'Microsoft.KeyVault.CertificateNearExpiry',
      'Microsoft.Storage.BlobCreated',
      'microsoft.keyvault.secretnearexpiry', // event types are exact: no case folding
    ]) {
      const response = await post(JSON.stringify([{ ...goodEvent(eventType), eventType }]));
      expect(response.status).toBe(202);
    }
    expect(vaultReads.length).toBe(reads);
    expect(stored()).toEqual(before);
  });

  it('an unknown aeg-event-type header is a 400', async () => {
    const before = stored();
    const response = await post(JSON.stringify([goodEvent('h')]), 'Bogus');
    expect(response.status).toBe(400);
    expect(stored()).toEqual(before);
  });
});

describe('Event Grid: the subscription validation handshake', () => {
  it('answers validationResponse with exactly the code sent, without invoking the function', async () => {
    const code = '512d38b6-c7b8-40c8-89fe-f46f9e9622b6';
    const reads = vaultReads.length;
    const response = await post(
      JSON.stringify([
        {
          id: '2d1781af-3a4c-4d7c-bd0c-e34b19da4e66',
          topic: '/subscriptions/x/resourceGroups/y/providers/Microsoft.KeyVault/vaults/my-vault',
          subject: '',
          eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
          eventTime: NOW.toISOString(),
          data: { validationCode: code, validationUrl: 'https://rp-eastus2.eventgrid.azure.net/x' },
          dataVersion: '2',
        },
      ]),
      'SubscriptionValidation',
    );
    expect(response).toEqual({ status: 200, body: { validationResponse: code } });
    expect(vaultReads.length).toBe(reads);
  });

  it.each([
    ['no data', [{ id: 'v', eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent' }]],
    ['an empty array', []],
    ['an empty validation code', [{ id: 'v', data: { validationCode: '' } }]],
  ])('a handshake with %s is a 400 and validates nothing', async (_label, events) => {
    const response = await post(JSON.stringify(events), 'SubscriptionValidation');
    expect(response.status).toBe(400);
    expect(response.body).not.toHaveProperty('validationResponse');
  });
});

describe('Event Grid: one good and one bad event in the same delivery', () => {
  // Each case starts with no alert state, so whichever runs first cannot dedupe the other's alert.
  beforeEach(() => state.rows.clear());

  it('the good one is acted on once, the bad one fails the delivery, and the retry does not alert twice', async () => {
    const batch = JSON.stringify([goodEvent('batch-good'), { ...goodEvent('batch-bad'), data: undefined }]);
    const before = alerts.length;
    const first = await post(batch);
    // The bad event makes the delivery fail, so Event Grid retries (and in the end dead-letters it).
    expect(first.status).toBe(500);
    expect(first.body?.error).toMatchObject({
      code: 'HandlerFailed',
      message: expect.stringContaining('batch-bad'),
    });
    expect(logs.find((l) => l.event === 'secret.event.rejected')?.eventId).toBe('batch-bad');
    // The good one was not lost to its neighbour: it raised the 30-day alert.
    expect(alerts.length).toBe(before + 1);
    expect(alerts.at(-1)?.fields).toMatchObject({ source: 'event', threshold: 30 });

    // Event Grid's retry of the same delivery: the good event again, deduplicated.
    const retry = await post(batch);
    expect(retry.status).toBe(500);
    expect(alerts.length).toBe(before + 1);

    // The same good event alone is now simply acknowledged, still without a second alert.
    expect((await post(JSON.stringify([goodEvent('batch-good')]))).status).toBe(202);
    expect(alerts.length).toBe(before + 1);
  });

  it('a bad event first does not hold back the good one after it, and the retry alerts once', async () => {
    // The order that matters: a host that stops at the first failure never reaches the good event,
    // which then waits for Event Grid's retries (minutes to hours) or is dead-lettered with the bad.
    const batch = JSON.stringify([{ ...goodEvent('first-bad'), data: undefined }, goodEvent('then-good')]);
    const before = alerts.length;
    const first = await post(batch);
    // Any failure still fails the delivery, so Event Grid retries it; the body names the failed event only.
    expect(first.status).toBe(500);
    expect(first.body?.error).toMatchObject({ code: 'HandlerFailed' });
    expect(String((first.body?.error as { message?: string }).message)).toContain('first-bad');
    expect(String((first.body?.error as { message?: string }).message)).not.toContain('then-good');
    expect(alerts.length).toBe(before + 1);
    expect(alerts.at(-1)?.fields).toMatchObject({ source: 'event', threshold: 30 });

    // The retry delivers both again: the handler's dedupe keeps the good one from alerting twice.
    const retry = await post(batch);
    expect(retry.status).toBe(500);
    expect(alerts.length).toBe(before + 1);
  });
});
