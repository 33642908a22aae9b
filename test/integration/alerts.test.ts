// The alert area end to end against the Key Vault emulator (real SecretClient) and Azurite: storing
// the client secret through the HTTP handler, the check with its Table dedupe, webhooks kept in
// Key Vault and delivered to a receiver this test runs, the status route, and the log rule that no
// line ever holds the secret value or a webhook URL.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServices } from '../../src/app/services';
import type { FunctionDefinition, HttpTrigger } from '../../src/app/types';
import { invokeHttp, invokeTrigger } from '../../src/app/invoke';
import { createAlertFunctions } from '../../src/alerts/functions';
import type { AlertDeps } from '../../src/alerts/deps';
import { createAlertDeps } from '../../src/alerts/wiring';
import { loadConfig } from '../../src/config';
import type { HttpRequestLike, HttpResult } from '../../src/http/types';
import { createLogger, setLogSink, type LogSink } from '../../src/log/logger';
import { ConnectionStore } from '../../src/store/connections';
import { KeyVaultEmulator } from '../../emulators/keyvault';
import { azuriteConnectionString, uniqueName } from '../helpers/azurite';
import { TableClient } from '@azure/data-tables';

const DAY = 86_400_000;
const KV_TOKEN = 'kv-static-token-for-alerts-test-01';
const SECRET_VALUE = 'Qx8~alertsTest.Value_0123456789abcdefGHIJ';
let clock = Date.UTC(2027, 0, 10, 8, 0, 0);
const lines: string[] = [];
let previousSink: LogSink;
let vault: KeyVaultEmulator;
let deps: AlertDeps;
let functions: FunctionDefinition[];
const tables = {
  alerts: uniqueName('alerts'),
  connections: uniqueName('conns'),
  jobs: uniqueName('jobs'),
  runs: uniqueName('runs'),
  progress: uniqueName('prog'),
  files: uniqueName('files'),
};

interface Received {
  path: string;
  body: Record<string, unknown>;
}
const received: Received[] = [];
let receiver: Server;
let receiverBase: string;

beforeAll(async () => {
  previousSink = setLogSink((line) => lines.push(line));
  vault = await new KeyVaultEmulator({ now: () => clock }).start();
  receiver = createServer((req, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(text) });
      // The "broken" hook fails: the check must carry on regardless.
      res.statusCode = req.url?.startsWith('/broken') ? 500 : 200;
      res.end('1');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverBase = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  const config = loadConfig({
    RUN_MODE: 'local',
    AzureWebJobsStorage: azuriteConnectionString(),
    KEY_VAULT_URL: vault.vaultUrl,
    KEY_VAULT_TOKEN_OVERRIDE: KV_TOKEN,
    GRAPH_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
    CLIENT_SECRET_NAME: uniqueName('client-secret-'),
  });
  deps = await createAlertDeps(createServices(config, createLogger()), {
    now: () => new Date(clock),
    tables,
  });
  functions = createAlertFunctions(async () => deps);
});

afterAll(async () => {
  setLogSink(previousSink);
  await new Promise((resolve) => receiver?.close(resolve));
  await vault?.stop();
});

function fn(name: string): FunctionDefinition {
  const found = functions.find((f) => f.name === name);
  if (!found) throw new Error(`no function ${name}`);
  return found;
}

async function http(
  name: string,
  body?: unknown,
  params: Record<string, string> = {},
  method?: string,
): Promise<HttpResult> {
  const definition = fn(name);
  const trigger = definition.trigger as HttpTrigger;
  const request: HttpRequestLike = {
    method: method ?? trigger.methods[0],
    url: `http://localhost:7071/api/${trigger.route}`,
    params,
    query: new URLSearchParams(),
    headers: {},
    body: body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body),
  };
  return invokeHttp(definition, request);
}

const timer = () =>
  invokeTrigger(fn('secretExpiryCheck'), {
    type: 'timer',
    timer: { scheduledAt: new Date(clock), isPastDue: false },
  });

describe('storing the client secret (POST /api/secret)', () => {
  it('stores the value with exp in Key Vault and reports the days left', async () => {
    const result = await http('clientSecretSet', { value: `${SECRET_VALUE}\n`, expiresOn: '2027-03-01' });
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({
      secretName: deps.secretName,
      expiresOn: '2027-03-01T00:00:00.000Z',
      daysLeft: 50,
      appRegistration: { status: 'unavailable' },
    });
    expect(JSON.stringify(result.body)).not.toContain(SECRET_VALUE);
    const stored = vault.secret(deps.secretName)!.versions.at(-1)!;
    expect(stored.value).toBe(SECRET_VALUE);
    expect(stored.attributes.exp).toBe(Date.UTC(2027, 2, 1) / 1000);
  });

  it.each([
    ['a missing expiry', { value: SECRET_VALUE }, /expiresOn: required/],
    ['a malformed expiry', { value: SECRET_VALUE, expiresOn: 'next spring' }, /expiresOn: expected/],
    ['a past expiry', { value: SECRET_VALUE, expiresOn: '2026-12-31' }, /in the past/],
    ['a missing value', { expiresOn: '2027-03-01' }, /value: required/],
    ['a body that is not JSON', `{"value": "${SECRET_VALUE}"`, /body/],
  ])('rejects %s with 400 and stores nothing', async (_label, body, message) => {
    const before = vault.secret(deps.secretName)?.versions.length;
    const result = await http('clientSecretSet', body);
    expect(result.status).toBe(400);
    expect((result.body as { error: { message: string } }).error.message).toMatch(message);
    expect(JSON.stringify(result.body)).not.toContain(SECRET_VALUE);
    expect(vault.secret(deps.secretName)?.versions.length).toBe(before);
  });
});

describe('webhooks kept in Key Vault', () => {
  it('adds, lists without URLs, and removes', async () => {
    for (const [name, format] of [
      ['ops-json', 'json'],
      ['ops-teams', 'teams'],
      ['ops-slack', 'slack'],
    ])
      expect(
        (
          await http(
            'alertWebhooks',
            { name, url: `${receiverBase}/${name}?sig=abc123def456`, format },
            {},
            'POST',
          )
        ).status,
      ).toBe(201);
    expect(
      (
        await http(
          'alertWebhooks',
          { name: 'broken', url: `${receiverBase}/broken/hook-path-1`, format: 'json' },
          {},
          'POST',
        )
      ).status,
    ).toBe(201);
    expect(
      (
        await http(
          'alertWebhooks',
          { name: 'dead', url: 'http://127.0.0.1:1/nothing-listens', format: 'slack' },
          {},
          'POST',
        )
      ).status,
    ).toBe(201);
    expect(
      (
        await http(
          'alertWebhooks',
          { name: 'plain', url: 'http://example.com/hook', format: 'json' },
          {},
          'POST',
        )
      ).status,
    ).toBe(400);
    expect(
      (
        await http(
          'alertWebhooks',
          { name: 'Bad Name', url: 'https://example.com/h', format: 'json' },
          {},
          'POST',
        )
      ).status,
    ).toBe(400);
    expect(
      (await http('alertWebhooks', { name: 'x', url: 'https://example.com/h', format: 'email' }, {}, 'POST'))
        .status,
    ).toBe(400);

    const list = await http('alertWebhooks', undefined, {}, 'GET');
    expect(list.status).toBe(200);
    expect((list.body as { webhooks: unknown[] }).webhooks).toEqual([
      { name: 'broken', format: 'json' },
      { name: 'dead', format: 'slack' },
      { name: 'ops-json', format: 'json' },
      { name: 'ops-slack', format: 'slack' },
      { name: 'ops-teams', format: 'teams' },
    ]);
    expect(JSON.stringify(list.body)).not.toContain(receiverBase);
    const stored = vault.secret('alert-webhook-ops-teams')!.versions.at(-1)!;
    expect(stored.value).toBe(`${receiverBase}/ops-teams?sig=abc123def456`);

    expect(
      (
        await http(
          'alertWebhooks',
          { name: 'gone', url: 'https://example.com/gone', format: 'json' },
          {},
          'POST',
        )
      ).status,
    ).toBe(201);
    expect((await http('alertWebhookDelete', undefined, { name: 'gone' })).status).toBe(204);
    expect((await http('alertWebhookDelete', undefined, { name: 'gone' })).status).toBe(404);
  });
});

describe('the daily check', () => {
  it('delivers the right payload in each format, once per threshold, despite a failing webhook', async () => {
    received.length = 0;
    clock = Date.UTC(2027, 0, 20, 8); // 40 days before 2027-03-01
    const seen: Array<{ day: number; threshold: unknown }> = [];
    for (let day = 40; day >= 25; day--) {
      const before = received.length;
      await timer();
      for (const r of received.slice(before))
        if (r.path.startsWith('/ops-json'))
          seen.push({ day, threshold: (r.body.fields as Record<string, unknown>).threshold });
      clock += DAY;
    }
    expect(seen).toEqual([{ day: 30, threshold: 30 }]);
    const byPath = (p: string) => received.find((r) => r.path.startsWith(p))!.body;
    // Each hook got exactly one message: the broken one failed and nothing retried or threw.
    expect(received.map((r) => r.path.split('?')[0]).sort()).toEqual([
      '/broken/hook-path-1',
      '/ops-json',
      '/ops-slack',
      '/ops-teams',
    ]);

    const json = byPath('/ops-json');
    expect(json).toMatchObject({
      source: 'azure-onedrive-backup',
      event: 'alert.secret_expiry',
      severity: 'info',
      fields: {
        objectName: deps.secretName,
        threshold: 30,
        daysLeft: 30,
        expiresOn: '2027-03-01T00:00:00.000Z',
      },
    });
    expect(json.text).toMatch(/Certificates & secrets/);

    const teams = byPath('/ops-teams') as {
      type: string;
      attachments: Array<{ contentType: string; content: Record<string, unknown> }>;
    };
    expect(teams.type).toBe('message');
    expect(teams.attachments[0].contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(teams.attachments[0].content).toMatchObject({ type: 'AdaptiveCard', version: '1.4' });
    const card = JSON.stringify(teams.attachments[0].content);
    expect(card).toContain('2027-03-01');
    expect(card).toContain('FactSet');
    expect(card).toContain('secret set --expires');

    const slack = byPath('/ops-slack') as { text: string; blocks: Array<{ type: string }> };
    expect(slack.text).toContain('expires on 2027-03-01');
    expect(slack.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'section']);
    expect(JSON.stringify(slack.blocks)).toContain('not the Secret ID');

    expect(
      lines.some(
        (l) =>
          l.includes('"event":"alert.webhook.failed"') &&
          l.includes('"webhook":"broken"') &&
          l.includes('"status":500'),
      ),
    ).toBe(true);
    // Nothing listens on the "dead" hook's port: logged by name, never by URL.
    expect(
      lines.some((l) => l.includes('"event":"alert.webhook.failed"') && l.includes('"webhook":"dead"')),
    ).toBe(true);
    expect(lines.some((l) => JSON.parse(l).event === 'alert.secret_expiry')).toBe(true);
    expect(
      lines.some((l) => {
        const o = JSON.parse(l);
        return o.event === 'metric' && o.name === 'secret.daysLeft';
      }),
    ).toBe(true);
  });

  it('starts over for a new secret version stored through the API', async () => {
    received.length = 0;
    expect(
      (await http('clientSecretSet', { value: SECRET_VALUE + 'v2', expiresOn: '2027-02-15' })).status,
    ).toBe(200);
    await timer();
    const json = received.filter((r) => r.path.startsWith('/ops-json'));
    expect(json).toHaveLength(1);
    expect(json[0].body.fields).toMatchObject({ threshold: 14 });
  });

  it('reports a connection in reauth-required, and GET /api/status shows it with the days left', async () => {
    const connections = new ConnectionStore(
      TableClient.fromConnectionString(azuriteConnectionString(), tables.connections, {
        allowInsecureConnection: true,
      }),
    );
    const now = new Date(clock).toISOString();
    await connections.create({
      id: 'conn-1',
      name: 'Personal OneDrive',
      cloud: 'global',
      tenant: 'consumers',
      authMode: 'delegated',
      hasOwnClientSecret: false,
      driveType: 'personal',
      rootFolder: '/Backups',
      status: 'reauth-required',
      statusCode: 'invalid_grant',
      statusReason: 'The refresh token was revoked.',
      advice: 'Authorize the connection again.',
      createdAt: now,
      updatedAt: now,
    });
    received.length = 0;
    await timer();
    await timer();
    const reauth = received.filter(
      (r) => r.path.startsWith('/ops-json') && r.body.event === 'alert.connection_reauth',
    );
    expect(reauth).toHaveLength(1);
    expect(reauth[0].body.fields).toMatchObject({
      connectionId: 'conn-1',
      reason: 'invalid_grant: The refresh token was revoked.',
    });

    const status = await http('status');
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({
      clientSecret: {
        name: deps.secretName,
        state: 'due',
        daysLeft: 10,
        expiresOn: '2027-02-15T00:00:00.000Z',
      },
      connectionsNeedingReauthorization: [
        {
          id: 'conn-1',
          reason: 'The refresh token was revoked.',
          advice: 'Authorize the connection again.',
          authorizePath: '/api/connections/conn-1/authorize',
        },
      ],
      failingJobs: [],
    });
    expect(JSON.stringify(status.body)).not.toContain(SECRET_VALUE);
  });

  it('never writes the secret value or a webhook URL to a log line', () => {
    expect(lines.length).toBeGreaterThan(20);
    for (const line of lines) {
      expect(line).not.toContain(SECRET_VALUE);
      expect(line).not.toContain(receiverBase);
      expect(line).not.toContain('sig=abc123def456');
      expect(line).not.toContain(KV_TOKEN);
    }
  });
});
