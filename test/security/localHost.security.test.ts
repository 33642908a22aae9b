// The local host is private to the machine: it listens on loopback unless LOCAL_HOST_ADDRESS opens
// it on purpose, and it checks the function key before it reads a request's body, so callers
// without the key cannot make it buffer anything (each used to be able to park 16 MiB in memory).
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import { setLogSink, type LogSink } from '../../src/log/logger';
import { startLocalHost, type LocalHost } from '../../src/local/host';
import { azuriteConnectionString } from '../helpers/azurite';

const KEY = 'local-host-security-key-0123456789';
const MiB = 1024 * 1024;

const env = (extra: Record<string, string> = {}) => ({
  AzureWebJobsStorage: azuriteConnectionString(),
  KEY_VAULT_URL: 'https://localhost:1/',
  GRAPH_CLIENT_ID: 'local-host-security',
  LOCAL_FUNCTION_KEY: KEY,
  ...extra,
});

async function start(extra: Record<string, string> = {}): Promise<LocalHost> {
  return startLocalHost({
    // HTTP and Event Grid entries only: this host must not poll the shared Azurite's queues.
    functions: (app) => app.filter((f) => f.trigger.type === 'http' || f.trigger.type === 'eventGrid'),
    port: 0,
    embedded: false,
    env: env(extra),
  });
}

/** This machine's addresses other than loopback (none in some sandboxes). */
const externalAddresses = (): string[] =>
  Object.values(os.networkInterfaces())
    .flat()
    .filter((a): a is os.NetworkInterfaceInfo => !!a && !a.internal && a.family === 'IPv4')
    .map((a) => a.address);

function reachable(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: address, port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/**
 * Starts a POST that announces `announced` bytes but sends only `sent`, and resolves with the
 * answer: an answer at all proves the server did not wait for (or buffer) the rest of the body.
 */
function partialPost(
  port: number,
  path: string,
  announced: number,
  sent: number,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      path,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(announced) },
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error('no answer while the body was still being sent'));
    }, 10_000);
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        clearTimeout(timer);
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.write(Buffer.alloc(sent, 0x61));
  });
}

let host: LocalHost;
let previousSink: LogSink;

beforeAll(async () => {
  previousSink = setLogSink(() => undefined);
  host = await start();
});

afterAll(async () => {
  await host?.stop();
  setLogSink(previousSink);
});

describe('the local host listens on loopback only, unless opened on purpose', () => {
  it('is reachable on 127.0.0.1 and on no other address of this machine', async () => {
    expect(await reachable('127.0.0.1', host.port)).toBe(true);
    for (const address of externalAddresses()) expect(await reachable(address, host.port)).toBe(false);
  });

  it('LOCAL_HOST_ADDRESS=0.0.0.0 opens it to every interface', async () => {
    const open = await start({ LOCAL_HOST_ADDRESS: '0.0.0.0' });
    try {
      expect(await reachable('127.0.0.1', open.port)).toBe(true);
      for (const address of externalAddresses()) expect(await reachable(address, open.port)).toBe(true);
    } finally {
      await open.stop();
    }
  });

  it('a LOCAL_HOST_ADDRESS that is not an IP address is refused by name', async () => {
    await expect(start({ LOCAL_HOST_ADDRESS: 'everywhere' })).rejects.toThrow(
      /LOCAL_HOST_ADDRESS: expected an IP address/,
    );
  });
});

describe('the function key is checked before the body is read', () => {
  it.each([
    ['an admin route', '/api/jobs'],
    ['the Event Grid endpoint', '/runtime/webhooks/eventgrid?functionName=secretNearExpiry'],
    ['a route nobody serves', '/api/no-such-route'],
  ])('%s answers a 16 MiB body without the key before the body has been sent', async (_label, path) => {
    const answer = await partialPost(host.port, path, 16 * MiB, 256 * 1024);
    expect([401, 404]).toContain(answer.status);
    if (!path.includes('no-such')) expect(answer.status).toBe(401);
  });

  it('forty unauthenticated 16 MiB bodies in parallel are all refused with 401 before they are sent', async () => {
    const answers = await Promise.all(
      Array.from({ length: 40 }, () => partialPost(host.port, '/api/jobs', 16 * MiB, 512 * 1024)),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(40).fill(401));
  });

  it('with the key, the body is still read and handed to the function', async () => {
    const response = await fetch(
      `http://127.0.0.1:${host.port}/runtime/webhooks/eventgrid?functionName=secretNearExpiry&code=${KEY}`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'aeg-event-type': 'SubscriptionValidation' },
        body: JSON.stringify([{ id: '1', data: { validationCode: 'echo-me' } }]),
      },
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ validationResponse: 'echo-me' });
  });
});
