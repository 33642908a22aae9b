// Every admin route of the function table refuses a request without the function key on the local
// host. The routes are read from the table itself, so a route added later is covered without
// touching this test; the anonymous ones must be exactly the few that have to be (Microsoft's
// redirect, the health probe, the setup page's shell, which holds no data).
import { createAppRoot } from '../../src/app/root';
import type { HttpTrigger } from '../../src/app/types';
import { loadConfig } from '../../src/config';
import { setLogSink, type LogSink } from '../../src/log/logger';
import { startLocalHost, type LocalHost } from '../../src/local/host';
import { azuriteConnectionString } from '../helpers/azurite';

const KEY = 'security-test-function-key-0123456789';
const ANONYMOUS_ALLOWED = new Set(['health', 'authCallback', 'setupPage']);

const env = () => ({
  AzureWebJobsStorage: azuriteConnectionString(),
  KEY_VAULT_URL: 'https://localhost:1/',
  GRAPH_CLIENT_ID: 'security-test-client',
  LOCAL_FUNCTION_KEY: KEY,
});
// The app's table as the host builds it; listing it reads no setting, so the routes are known
// before the host starts (it.each needs them when the file loads).
const FUNCTIONS = createAppRoot({ config: () => loadConfig(env()) }).functions;

let host: LocalHost;
let previousSink: LogSink;

beforeAll(async () => {
  previousSink = setLogSink(() => undefined);
  host = await startLocalHost({
    // HTTP and Event Grid entries only: this host must not poll the shared Azurite's real queues.
    functions: (app) => app.filter((f) => f.trigger.type === 'http' || f.trigger.type === 'eventGrid'),
    port: 0,
    embedded: false,
    env: env(),
  });
});

afterAll(async () => {
  await host?.stop();
  setLogSink(previousSink);
});

/** A concrete path for a route template: every parameter filled with a harmless value. */
function concrete(route: string): string {
  return route.replace(/\{\*?([A-Za-z]+)(:[^}]*)?\??\}/g, 'x1');
}

const protectedRoutes = FUNCTIONS.flatMap((f) => {
  const t = f.trigger as HttpTrigger;
  if (t.type !== 'http' || t.authLevel === 'anonymous') return [];
  return t.methods.map((method) => [`${method} /api/${t.route} (${f.name})`, method, t.route] as const);
});

describe('function keys', () => {
  it('the table has admin routes to protect, and only the expected ones are anonymous', () => {
    expect(protectedRoutes.length).toBeGreaterThan(20);
    // The routes checked below are exactly the ones this host serves.
    const httpNames = (table: readonly { name: string; trigger: { type: string } }[]) =>
      table.filter((f) => f.trigger.type === 'http').map((f) => f.name);
    expect(httpNames(host.functions)).toEqual(httpNames(FUNCTIONS));
    const anonymous = FUNCTIONS.filter(
      (f) => f.trigger.type === 'http' && (f.trigger as HttpTrigger).authLevel === 'anonymous',
    ).map((f) => f.name);
    for (const name of anonymous)
      expect(ANONYMOUS_ALLOWED.has(name) ? name : `unexpected anonymous ${name}`).toBe(name);
  });

  it.each(protectedRoutes)(
    '%s refuses no key, a wrong key, and a wrong ?code=',
    async (_label, method, route) => {
      const url = `${host.url}/api/${concrete(route)}`;
      const body = method === 'GET' || method === 'DELETE' ? undefined : '{}';
      for (const init of [
        { method, body },
        { method, body, headers: { 'x-functions-key': 'wrong-key' } },
        // One character short: a prefix of the key is not the key.
        { method, body, headers: { 'x-functions-key': KEY.slice(0, -1) } },
      ]) {
        const response = await fetch(url, init);
        expect(response.status).toBe(401);
        expect(((await response.json()) as { error: { code: string } }).error.code).toBe('Unauthorized');
      }
      expect((await fetch(`${url}?code=not-the-key`, { method, body })).status).toBe(401);
    },
  );

  it('the Event Grid webhook refuses events and the validation handshake without the key', async () => {
    const grid = FUNCTIONS.find((f) => f.trigger.type === 'eventGrid')!;
    const response = await fetch(`${host.url}/runtime/webhooks/eventgrid?functionName=${grid.name}`, {
      method: 'POST',
      headers: { 'aeg-event-type': 'SubscriptionValidation' },
      body: JSON.stringify([
        {
          id: '1',
          eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
          subject: '',
          eventTime: new Date().toISOString(),
          data: { validationCode: 'x' },
        },
      ]),
    });
    expect(response.status).toBe(401);
  });

  it('the key is accepted where it should be (so the 401s above are about the key, not the route)', async () => {
    const response = await fetch(`${host.url}/api/connections`, { headers: { 'x-functions-key': KEY } });
    expect(response.status).not.toBe(401);
  });
});
