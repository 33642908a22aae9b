// The local host runs a function table against the run's Azurite: HTTP routing and keys, queue
// triggers with host.json's retry and poison semantics, timers, Event Grid, and a clean stop. The
// last test runs `npm start` as a person would and stops it with SIGINT.
import { spawn } from 'node:child_process';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueClient } from '@azure/storage-queue';
import { DEFAULT_CLIENT_SECRET } from '../../emulators/identity';
import { encodeQueueMessage } from '../../src/app/queues';
import type { EventGridEvent, FunctionDefinition, QueueMessageMeta, TimerInfo } from '../../src/app/types';
import { jsonResult } from '../../src/http/types';
import { setLogSink, type LogSink } from '../../src/log/logger';
import { startLocalHost, type LocalHost } from '../../src/local/host';
import { azuriteConnectionString, uniqueName } from '../helpers/azurite';
import { offlineHostEnv } from '../helpers/localHostEnv';

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Waits for a condition in storage the host changes without telling the test (the poison move). */
async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const FUNCTION_KEY = 'local-test-function-key';
const okQueue = uniqueName('lhok');
const failQueue = uniqueName('lhfail');

const okMessage = deferred<{ message: unknown; meta: QueueMessageMeta }>();
const failedAttempts: number[] = [];
const timerTick = deferred<{ timer: TimerInfo; ranAt: number }>();
const gridEvents: EventGridEvent[] = [];

/** Served next to the app's own table, which the host builds with its settings. */
const testFunctions: FunctionDefinition[] = [
  {
    name: 'echo',
    trigger: {
      type: 'http',
      route: 'items/{id}/{part?}',
      methods: ['GET', 'POST'],
      authLevel: 'function',
      handler: async (request) =>
        jsonResult(200, { params: request.params, method: request.method, body: request.body }),
    },
  },
  {
    name: 'latestItem',
    trigger: {
      type: 'http',
      route: 'items/latest',
      methods: ['GET'],
      authLevel: 'function',
      handler: async () => jsonResult(200, { latest: true }),
    },
  },
  {
    name: 'okWorker',
    trigger: {
      type: 'queue',
      queueName: okQueue,
      handler: async (message, meta) => okMessage.resolve({ message, meta }),
    },
  },
  {
    name: 'failingWorker',
    trigger: {
      type: 'queue',
      queueName: failQueue,
      handler: async (_message, meta) => {
        failedAttempts.push(meta.dequeueCount);
        throw new Error(`attempt ${meta.dequeueCount} fails`);
      },
    },
  },
  {
    name: 'everySecond',
    trigger: {
      type: 'timer',
      scheduleSetting: 'SCHEDULER_CRON',
      handler: async (timer) => timerTick.resolve({ timer, ranAt: Date.now() }),
    },
  },
  {
    name: 'nearExpiry',
    trigger: {
      type: 'eventGrid',
      handler: async (event) => {
        gridEvents.push(event);
      },
    },
  },
];

let host: LocalHost;
let previousSink: LogSink;
const logLines: string[] = [];

beforeAll(async () => {
  previousSink = setLogSink((line) => logLines.push(line));
  host = await startLocalHost({
    functions: (app) => [...app, ...testFunctions],
    port: 0,
    embedded: false,
    env: offlineHostEnv({
      GRAPH_CLIENT_ID: 'local-test-client',
      LOCAL_FUNCTION_KEY: FUNCTION_KEY,
      SCHEDULER_CRON: '* * * * * *',
    }),
    // host.json's 30 s retry delay and 10 s polling would make this test minutes long.
    queue: { retryDelayMs: 0, minPollingIntervalMs: 20, maxPollingIntervalMs: 200 },
  });
});

afterAll(async () => {
  await host?.stop();
  setLogSink(previousSink);
});

describe('local host HTTP', () => {
  it('serves GET /api/health anonymously with version and backends', async () => {
    const response = await fetch(`${host.url}/api/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: 'ok',
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      backends: { storage: 'emulated', identity: 'real', graph: 'real', keyVault: 'real' },
    });
  });

  it('refuses a function-key route without the key and accepts the header or ?code=', async () => {
    const without = await fetch(`${host.url}/api/items/7`);
    expect(without.status).toBe(401);
    expect(((await without.json()) as { error: { code: string } }).error.code).toBe('Unauthorized');
    expect((await fetch(`${host.url}/api/items/7`, { headers: { 'x-functions-key': 'wrong' } })).status).toBe(
      401,
    );
    expect(
      (await fetch(`${host.url}/api/items/7`, { headers: { 'x-functions-key': FUNCTION_KEY } })).status,
    ).toBe(200);
    expect((await fetch(`${host.url}/api/items/7?code=${FUNCTION_KEY}`)).status).toBe(200);
  });

  it('fills route parameters, optional ones included, and prefers literal segments', async () => {
    const headers = { 'x-functions-key': FUNCTION_KEY };
    const one = await (await fetch(`${host.url}/api/items/a%20b`, { headers })).json();
    expect(one).toMatchObject({ params: { id: 'a b' }, method: 'GET' });
    const two = await (
      await fetch(`${host.url}/api/ITEMS/42/meta`, { method: 'POST', headers, body: 'hello' })
    ).json();
    expect(two).toEqual({ params: { id: '42', part: 'meta' }, method: 'POST', body: 'hello' });
    expect(await (await fetch(`${host.url}/api/items/latest`, { headers })).json()).toEqual({ latest: true });
  });

  it('answers 404 and 405 as JSON', async () => {
    const missing = await fetch(`${host.url}/api/nothing/here`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/application\/json/);
    const wrongMethod = await fetch(`${host.url}/api/health`, { method: 'DELETE' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET');
    expect(((await wrongMethod.json()) as { error: { code: string } }).error.code).toBe('MethodNotAllowed');
  });
});

describe('local host Event Grid webhook', () => {
  const url = () => `${host.url}/runtime/webhooks/eventgrid?functionName=nearExpiry&code=${FUNCTION_KEY}`;

  it('answers the subscription validation handshake', async () => {
    const response = await fetch(url(), {
      method: 'POST',
      headers: { 'aeg-event-type': 'SubscriptionValidation', 'content-type': 'application/json' },
      body: JSON.stringify([
        {
          id: 'v1',
          subject: '',
          eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
          eventTime: new Date().toISOString(),
          data: { validationCode: 'abc-123' },
        },
      ]),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ validationResponse: 'abc-123' });
    expect(gridEvents).toHaveLength(0);
  });

  it('delivers notifications to the function and requires the key', async () => {
    const event = {
      id: 'e1',
      subject: 'graph-client-secret',
      eventType: 'Microsoft.KeyVault.SecretNearExpiry',
      eventTime: new Date().toISOString(),
      data: { ObjectName: 'graph-client-secret', EXP: 1 },
    };
    const init = {
      method: 'POST',
      headers: { 'aeg-event-type': 'Notification' },
      body: JSON.stringify([event]),
    };
    expect((await fetch(url().replace(/&code=.*/, ''), init)).status).toBe(401);
    expect((await fetch(url(), init)).status).toBe(202);
    expect(gridEvents).toEqual([
      expect.objectContaining({ id: 'e1', eventType: 'Microsoft.KeyVault.SecretNearExpiry' }),
    ]);
  });
});

describe('local host queues and timers', () => {
  it('delivers a base64 JSON message to its queue trigger with the dequeue count', async () => {
    await new QueueClient(azuriteConnectionString(), okQueue).sendMessage(
      encodeQueueMessage({ runId: 'run-1' }),
    );
    const { message, meta } = await okMessage.promise;
    expect(message).toEqual({ runId: 'run-1' });
    expect(meta.dequeueCount).toBe(1);
    // Handled messages are deleted.
    const left = await until(async () => {
      const props = await new QueueClient(azuriteConnectionString(), okQueue).getProperties();
      return props.approximateMessagesCount === 0 ? true : undefined;
    });
    expect(left).toBe(true);
  });

  it('moves a message whose handler always throws to <queue>-poison after 5 attempts, content intact', async () => {
    const text = encodeQueueMessage({ fileId: 'f-9', note: 'keep me' });
    await new QueueClient(azuriteConnectionString(), failQueue).sendMessage(text);
    const poison = new QueueClient(azuriteConnectionString(), `${failQueue}-poison`);
    const poisoned = await until(async () => {
      const peeked = await poison.peekMessages();
      return peeked.peekedMessageItems[0];
    });
    expect(poisoned.messageText).toBe(text);
    expect(failedAttempts).toEqual([1, 2, 3, 4, 5]);
    const source = await new QueueClient(azuriteConnectionString(), failQueue).peekMessages();
    expect(source.peekedMessageItems).toHaveLength(0);
    // Logged once the source copy is deleted, which may come after the poison copy is visible (and
    // a peek does not show the source copy while its lease holds it).
    expect(
      await until(async () => logLines.some((l) => l.includes('"event":"queue.poisoned"')) || undefined),
    ).toBe(true);
  });

  it('fires a timer on its NCRONTAB setting', async () => {
    const { timer: tick, ranAt } = await timerTick.promise;
    expect(tick.scheduledAt.getUTCMilliseconds()).toBe(0);
    // Past due only when it ran more than a second late (a loaded machine can make the first tick
    // late; test/unit/local/timers.test.ts makes one late on purpose).
    expect(tick.isPastDue).toBe(ranAt - tick.scheduledAt.getTime() > 1000);
  });
});

describe('local host embedded mode', () => {
  it('brings Azurite and the emulators, seeds the client secret and demo files, and stops them all', async () => {
    const embedded = await startLocalHost({ env: {}, port: 0 });
    try {
      expect(embedded.embedded).toBe(true);
      const health = (await (await fetch(`${embedded.url}/api/health`)).json()) as { backends: unknown };
      expect(health.backends).toEqual({
        storage: 'emulated',
        identity: 'emulated',
        graph: 'emulated',
        keyVault: 'emulated',
      });
      expect(embedded.config.publicBaseUrl).toBe(embedded.url);

      const secret = embedded.emulators!.keyVault.secret(embedded.config.clientSecretName)!;
      const latest = secret.versions[secret.versions.length - 1];
      expect(latest.value).toBe(DEFAULT_CLIENT_SECRET);
      const daysLeft = (latest.attributes.exp! * 1000 - Date.now()) / 86_400_000;
      expect(daysLeft).toBeGreaterThan(360);
      expect(daysLeft).toBeLessThan(370);

      const container = BlobServiceClient.fromConnectionString(
        embedded.azurite!.connectionString,
      ).getContainerClient(embedded.demoContainer!);
      const names: string[] = [];
      for await (const blob of container.listBlobsFlat()) names.push(blob.name);
      expect(names.length).toBeGreaterThanOrEqual(3);
    } finally {
      await embedded.stop();
    }
    expect(processAlive(embedded.azurite!.pid)).toBe(false);
    for (const url of [embedded.emulators!.identity.baseUrl, embedded.emulators!.graph.baseUrl, embedded.url])
      await expect(fetch(url)).rejects.toThrow();
  }, 60_000);
});

describe('npm start', () => {
  let group: number | undefined;
  // Even if the test times out mid-way, the spawned process group must not outlive the run.
  afterAll(() => {
    if (group !== undefined && groupAlive(group)) process.kill(-group, 'SIGKILL');
  });

  it('starts embedded, serves /api/health, and on SIGINT exits with everything it started', async () => {
    // Port 0: the host binds a free port itself and the banner names it (a port probed free here
    // could be taken by a suite running alongside before npm start gets to bind it).
    const env: NodeJS.ProcessEnv = { ...process.env, LOCAL_HOST_PORT: '0' };
    // No real settings may leak in from the test environment: embedded mode is the point.
    for (const name of [
      'AzureWebJobsStorage',
      'AzureWebJobsStorage__accountName',
      'KEY_VAULT_URL',
      'GRAPH_CLIENT_ID',
    ])
      delete env[name];
    // Its own process group: afterwards, an empty group proves Azurite and every wrapper exited too.
    const child = spawn('npm', ['start'], {
      cwd: process.cwd(),
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    group = child.pid;
    let output = '';
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (output.includes('Ctrl-C stops everything.')) resolve();
      });
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.once('exit', (code) => reject(new Error(`npm start exited early (${code}):\n${output}`)));
    });
    // 'close' waits for every process holding npm's stdout (the local host too), not only npm's exit.
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    try {
      await ready;
      const port = Number(/http:\/\/localhost:(\d+)\/api/.exec(output)?.[1]);
      expect(port).toBeGreaterThan(0);
      expect(output).toMatch(/Azurite blob\s+http:\/\/127\.0\.0\.1:\d+/);
      expect(output).toMatch(/Graph emulator\s+https:\/\/localhost:\d+/);
      const health = await fetch(`http://localhost:${port}/api/health`);
      expect(await health.json()).toMatchObject({
        status: 'ok',
        backends: { storage: 'emulated', identity: 'emulated', graph: 'emulated', keyVault: 'emulated' },
      });

      // Ctrl-C in a terminal signals the whole foreground process group. (Signalling npm alone does
      // not work for any npm script: npm forwards it to `sh -c`, which waits for its child.)
      process.kill(-child.pid!, 'SIGINT');
      // npm re-raises the signal on itself once its script has ended, so it "dies" of SIGINT, as
      // after any Ctrl-C; what matters is that the local host stopped in order and in time.
      expect(await exited).toBeNull();
      expect(output).toContain('Stopped.');
      expect(output).not.toContain('exiting anyway');
      await until(async () => (groupAlive(child.pid!) ? undefined : true), 10_000);
    } finally {
      if (groupAlive(child.pid!)) process.kill(-child.pid!, 'SIGKILL');
    }
  }, 120_000);
});

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}
