// Proves functions/index.ts registers every entry of the function table with the right trigger
// options. Outside the Functions host, @azure/functions skips registrations ("test mode"), so the
// module's `app` is replaced by a recorder while everything else stays the real package.
import type { HttpRequest as AzureHttpRequest, InvocationContext as AzureContext } from '@azure/functions';
import { assertValidTable } from '../../../src/app/functionTable';
import { invokeHttp } from '../../../src/app/invoke';
import { createAppRoot } from '../../../src/app/root';
import type { FunctionDefinition } from '../../../src/app/types';
import { registerFunctions, timerSchedule, type FunctionsApp } from '../../../functions/register';
import { jsonResult } from '../../../src/http/types';
import { AppError } from '../../../src/errors';
import { loadConfig, type Config } from '../../../src/config';
import packageJson from '../../../package.json';
import { setLogSink, type LogSink } from '../../../src/log/logger';

const SETTINGS = {
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
  KEY_VAULT_URL: 'https://kv.vault.azure.net/',
  GRAPH_CLIENT_ID: 'c',
  GRAPH_ENDPOINT_OVERRIDE: 'https://localhost:9',
};

/** The app's table; its shape needs no settings, so none are given. */
const FUNCTIONS = createAppRoot({
  config: () => {
    throw new Error('the table was listed, not run');
  },
}).functions;

const healthRequest = {
  method: 'GET',
  url: 'http://x/api/health',
  params: {},
  query: new URLSearchParams(),
  headers: {},
  body: '',
};

// Handlers log failures on purpose here; keep the test output about the tests.
let previousSink: LogSink;
beforeAll(() => (previousSink = setLogSink(() => undefined)));
afterAll(() => setLogSink(previousSink));

type Registration = { kind: string; name: string; options: Record<string, unknown> };

function recorder(): { app: FunctionsApp; registrations: Registration[] } {
  const registrations: Registration[] = [];
  const record =
    (kind: string) =>
    (name: string, options: unknown): void => {
      registrations.push({ kind, name, options: options as Record<string, unknown> });
    };
  return {
    registrations,
    app: {
      http: record('http'),
      timer: record('timer'),
      storageQueue: record('storageQueue'),
      eventGrid: record('eventGrid'),
    } as unknown as FunctionsApp,
  };
}

const mockRegistrations: Registration[] = [];
jest.mock('@azure/functions', () => {
  const actual = jest.requireActual('@azure/functions');
  const record =
    (kind: string) =>
    (name: string, options: unknown): void => {
      mockRegistrations.push({ kind, name, options: options as Record<string, unknown> });
    };
  return {
    ...actual,
    app: {
      http: record('http'),
      timer: record('timer'),
      storageQueue: record('storageQueue'),
      eventGrid: record('eventGrid'),
    },
  };
});

function azureContext(): AzureContext {
  const { InvocationContext } = jest.requireActual('@azure/functions');
  return new InvocationContext({ invocationId: 'inv-1', functionName: 'x' });
}

const sampleTable: FunctionDefinition[] = [
  {
    name: 'getThing',
    trigger: {
      type: 'http',
      route: 'things/{id}',
      methods: ['GET', 'DELETE'],
      authLevel: 'function',
      handler: async (request) =>
        jsonResult(200, { id: request.params.id, q: request.query.get('q'), body: request.body }),
    },
  },
  {
    name: 'failing',
    trigger: {
      type: 'http',
      route: 'fail',
      methods: ['POST'],
      authLevel: 'anonymous',
      handler: async () => {
        throw new AppError('NotFound', 'No such thing', { advice: 'Check the id.' });
      },
    },
  },
  {
    name: 'tick',
    trigger: { type: 'timer', scheduleSetting: 'SCHEDULER_CRON', handler: async () => undefined },
  },
  { name: 'work', trigger: { type: 'queue', queueName: 'backup-plan', handler: async () => undefined } },
  { name: 'nearExpiry', trigger: { type: 'eventGrid', handler: async () => undefined } },
];

describe('functions/index.ts', () => {
  it('registers every entry of FUNCTIONS with @azure/functions when imported', async () => {
    await import('../../../functions/index');
    expect(mockRegistrations.map((r) => r.name)).toEqual(FUNCTIONS.map((f) => f.name));
    const health = mockRegistrations.find((r) => r.name === 'health')!;
    expect(health.kind).toBe('http');
    expect(health.options).toMatchObject({ route: 'health', methods: ['GET'], authLevel: 'anonymous' });
  });

  it('the table itself is valid: unique names and routes', () => {
    expect(() => assertValidTable(FUNCTIONS)).not.toThrow();
    const clash: FunctionDefinition[] = [FUNCTIONS[0], { ...FUNCTIONS[0], name: 'other' }];
    expect(() => assertValidTable(clash)).toThrow(/Two functions serve GET health/);
    expect(() => assertValidTable([FUNCTIONS[0], FUNCTIONS[0]])).toThrow(/Two functions are named "health"/);
  });
});

describe('registerFunctions', () => {
  it('gives each trigger type its Azure options', () => {
    const { app, registrations } = recorder();
    registerFunctions(app, sampleTable, { SCHEDULER_CRON: '0 */1 * * * *' });
    const byName = Object.fromEntries(registrations.map((r) => [r.name, r]));
    expect(byName.getThing.kind).toBe('http');
    expect(byName.getThing.options).toMatchObject({
      route: 'things/{id}',
      methods: ['GET', 'DELETE'],
      authLevel: 'function',
    });
    expect(byName.tick.kind).toBe('timer');
    expect(byName.tick.options).toMatchObject({ schedule: '%SCHEDULER_CRON%', runOnStartup: false });
    expect(byName.work.kind).toBe('storageQueue');
    expect(byName.work.options).toMatchObject({
      queueName: 'backup-plan',
      connection: 'AzureWebJobsStorage',
    });
    expect(byName.nearExpiry.kind).toBe('eventGrid');
    for (const r of registrations) expect(typeof r.options.handler).toBe('function');
  });

  it("uses the setting's default schedule when the app setting is absent (the host would not start on %X%)", () => {
    const timer = sampleTable[2].trigger;
    if (timer.type !== 'timer') throw new Error('fixture');
    expect(timerSchedule(timer, {})).toBe('0 0 * * * *');
    expect(timerSchedule(timer, { SCHEDULER_CRON: ' ' })).toBe('0 0 * * * *');
    expect(timerSchedule(timer, { SCHEDULER_CRON: '0 0 * * * *' })).toBe('%SCHEDULER_CRON%');
    expect(() => timerSchedule({ ...timer, scheduleSetting: 'NO_SUCH' }, {})).toThrow(/NO_SUCH/);
  });

  it('adapts an Azure HttpRequest to the handler and its result back', async () => {
    const { HttpRequest } = jest.requireActual('@azure/functions');
    const { app, registrations } = recorder();
    registerFunctions(app, sampleTable, {});
    const handler = registrations.find((r) => r.name === 'getThing')!.options.handler as (
      req: AzureHttpRequest,
      ctx: AzureContext,
    ) => Promise<{ status: number; headers: Record<string, string>; body: Buffer }>;
    const request: AzureHttpRequest = new HttpRequest({
      method: 'DELETE',
      url: 'https://app.example/api/things/42?q=yes',
      params: { id: '42' },
      headers: { 'X-Custom': 'v' },
      body: { string: 'payload' },
    });
    const response = await handler(request, azureContext());
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/application\/json/);
    expect(JSON.parse(response.body.toString('utf8'))).toEqual({ id: '42', q: 'yes', body: 'payload' });
  });

  it('maps a thrown AppError to its status and JSON body in Azure too', async () => {
    const { HttpRequest } = jest.requireActual('@azure/functions');
    const { app, registrations } = recorder();
    registerFunctions(app, sampleTable, {});
    const handler = registrations.find((r) => r.name === 'failing')!.options.handler as (
      req: AzureHttpRequest,
      ctx: AzureContext,
    ) => Promise<{ status: number; body: Buffer }>;
    const response = await handler(
      new HttpRequest({ method: 'POST', url: 'https://app.example/api/fail' }),
      azureContext(),
    );
    expect(response.status).toBe(404);
    expect(JSON.parse(response.body.toString('utf8'))).toEqual({
      error: { code: 'NotFound', message: 'No such thing', advice: 'Check the id.' },
    });
  });

  it('hands a queue handler the message and the dequeue count, and rethrows so the host retries', async () => {
    const seen: unknown[] = [];
    const table: FunctionDefinition[] = [
      {
        name: 'q',
        trigger: {
          type: 'queue',
          queueName: 'backup-upload',
          handler: async (message, meta) => {
            seen.push({ message, dequeueCount: meta.dequeueCount, id: meta.id });
            if ((message as { fail?: boolean }).fail) throw new Error('boom');
          },
        },
      },
    ];
    const { app, registrations } = recorder();
    registerFunctions(app, table, {});
    const handler = registrations[0].options.handler as (m: unknown, c: AzureContext) => Promise<void>;
    const { InvocationContext } = jest.requireActual('@azure/functions');
    const context = new InvocationContext({
      invocationId: 'i',
      functionName: 'q',
      triggerMetadata: { id: 'm-1', dequeueCount: 3, insertionTime: '2026-01-01T00:00:00Z' },
    });
    await handler({ runId: 'r1' }, context);
    await expect(handler('{"fail":true}', context)).rejects.toThrow('boom');
    expect(seen).toEqual([
      { message: { runId: 'r1' }, dequeueCount: 3, id: 'm-1' },
      { message: { fail: true }, dequeueCount: 3, id: 'm-1' },
    ]);
  });
});

describe('createAppRoot', () => {
  it('lists the table without reading a setting, reads them at the first invocation and retries a failed read', async () => {
    let reads = 0;
    const root = createAppRoot({
      config: (): Config => {
        reads += 1;
        if (reads === 1) throw new AppError('ConfigInvalid', 'KEY_VAULT_URL: required');
        return loadConfig(SETTINGS);
      },
    });
    const health = root.functions.find((f) => f.name === 'health')!;
    expect(root.functions.map((f) => f.name)).toEqual(FUNCTIONS.map((f) => f.name));
    expect(reads).toBe(0);

    const failed = await invokeHttp(health, healthRequest);
    expect(failed.status).toBe(500);
    expect(failed.body).toMatchObject({ error: { code: 'ConfigInvalid' } });
    expect((await invokeHttp(health, healthRequest)).status).toBe(200);
    expect((await invokeHttp(health, healthRequest)).status).toBe(200);
    // Read again after the failure, then kept.
    expect(reads).toBe(2);
  });
});

describe('health', () => {
  it('answers the package version and which backends are real or emulated', async () => {
    const health = createAppRoot({ config: loadConfig(SETTINGS) }).functions.find(
      (f) => f.name === 'health',
    )!;
    if (health.trigger.type !== 'http') throw new Error('health is HTTP');
    const result = await health.trigger.handler(healthRequest, {
      invocationId: 'i',
      functionName: 'health',
      log: { child: () => undefined } as never,
    });
    expect(result.status).toBe(200);
    expect(result.body).toEqual({
      status: 'ok',
      version: packageJson.version,
      backends: { storage: 'emulated', identity: 'real', graph: 'emulated', keyVault: 'real' },
    });
  });
});
