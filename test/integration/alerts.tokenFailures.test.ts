// Token failures reach the alert channels at once, through the real wiring of the local host: a
// client secret Microsoft rejects raises one critical secret alert (the event the deployed "secret
// expiring" rule emails), deduped while it stays broken.
import { DEFAULT_CLIENT_ID } from '../../emulators/identity';
import { setLogSink, type LogSink } from '../../src/log/logger';
import { startLocalHost, type LocalHost } from '../../src/local/host';

let host: LocalHost;
let previousSink: LogSink;
const lines: Array<Record<string, unknown>> = [];

async function admin(method: string, route: string, body?: unknown): Promise<Response> {
  return fetch(`${host.url}/api/${route}`, {
    method,
    headers: { 'x-functions-key': host.functionKey, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

beforeAll(async () => {
  previousSink = setLogSink((line) => lines.push(JSON.parse(line) as Record<string, unknown>));
  host = await startLocalHost({ port: 0, embedded: true, env: {} });
}, 120_000);

afterAll(async () => {
  await host?.stop();
  setLogSink(previousSink);
});

it('a rejected client secret raises one critical secret alert naming the affected connection', async () => {
  const created = await admin('POST', 'connections', {
    name: 'Nightly dumps',
    tenant: 'common',
    driveType: 'personal',
  });
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: string };
  // The browser's part: follow the authorize redirect through the emulator's consent to the callback.
  const page = await fetch(`${host.url}/api/connections/${id}/authorize?code=${host.functionKey}`);
  expect(await page.text()).toContain('Connected');

  host.emulators!.identity.expireClientSecret(DEFAULT_CLIENT_ID);
  const alertsBefore = lines.filter((l) => l.event === 'alert.secret_expiry').length;
  const test = (await (await admin('POST', `connections/${id}/test`)).json()) as { ok: boolean };
  expect(test.ok).toBe(false);

  const alerts = lines.filter((l) => l.event === 'alert.secret_expiry').slice(alertsBefore);
  expect(alerts).toHaveLength(1);
  expect(alerts[0]).toMatchObject({
    state: 'rejected',
    severity: 'critical',
    errorCode: 'AADSTS7000222',
    connections: 1,
  });

  // Still broken on the next attempt: the same day says nothing new.
  await admin('POST', `connections/${id}/test`);
  expect(lines.filter((l) => l.event === 'alert.secret_expiry').slice(alertsBefore)).toHaveLength(1);
});
