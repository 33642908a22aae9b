import https from 'node:https';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { CONTROL_KEY_HEADER, EmulatorServer, json } from '../../emulators/shared/server';
import { TableClient } from '@azure/data-tables';
import { azuriteConnectionString, uniqueName } from '../helpers/azurite';

function get(url: string): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

describe('emulator server base', () => {
  const server = new EmulatorServer('test');
  server.route('GET', '/items/:id', (req) =>
    json(200, { id: req.params.id, q: req.query.get('api-version') }),
  );

  beforeAll(() => server.start());
  afterAll(() => server.stop());

  it('serves HTTPS trusted through the generated CA, on both host names', async () => {
    const a = await get(`${server.baseUrl}/items/7?api%2Dversion=7.5`);
    expect(a.status).toBe(200);
    expect(JSON.parse(a.body)).toEqual({ id: '7', q: '7.5' });
    const b = await get(`${server.altBaseUrl}/items/8`);
    expect(JSON.parse(b.body).id).toBe('8');
  });

  it('keeps a connection open between requests, as Graph does (fetch reuses it)', async () => {
    // Node advertises keepAliveTimeout as `Keep-Alive: timeout=N`; undici closes after every
    // response when N is 2 s or less, which made each upload chunk pay a new TLS connection.
    let opened = 0;
    const count = (): void => void (opened += 1);
    server['server']!.on('secureConnection', count);
    try {
      for (let i = 0; i < 6; i += 1) {
        const response = await fetch(`${server.baseUrl}/items/${i}`);
        expect(response.headers.get('keep-alive')).toBe('timeout=30');
        await response.text();
      }
      // The second request may start before the first connection is back in undici's pool.
      expect(opened).toBeLessThanOrEqual(2);
    } finally {
      server['server']!.off('secureConnection', count);
    }
  });

  it('answers injected faults with Retry-After, then recovers', async () => {
    server.faults.failNext(429, { path: '^/items/', retryAfterSeconds: 3, count: 2 });
    const first = await get(`${server.baseUrl}/items/1`);
    const second = await get(`${server.baseUrl}/items/1`);
    const third = await get(`${server.baseUrl}/items/1`);
    expect([first.status, second.status, third.status]).toEqual([429, 429, 200]);
    expect(first.headers['retry-after']).toBe('3');
    expect(server.faults.injected['status 429']).toBe(2);
  });

  it('resets the connection mid-response when asked', async () => {
    server.faults.add({ kind: 'reset-response', path: '^/items/', afterBytes: 3 });
    await expect(get(`${server.baseUrl}/items/1`)).rejects.toThrow();
    expect((await get(`${server.baseUrl}/items/1`)).status).toBe(200);
  });

  it('takes fault rules over HTTP from other processes', async () => {
    const res = await fetch(`${server.baseUrl}/_emulator/faults`, {
      method: 'POST',
      headers: { [CONTROL_KEY_HEADER]: server.controlKey },
      body: JSON.stringify({ kind: 'status', status: 503, path: '^/items/' }),
    });
    expect(res.status).toBe(200);
    expect((await get(`${server.baseUrl}/items/1`)).status).toBe(503);
  });
});

describe('emulator server: only this machine and the harness control it', () => {
  const server = new EmulatorServer('guarded');
  server.route('GET', '/items/:id', (req) => json(200, { id: req.params.id }));
  beforeAll(() => server.start());
  afterAll(() => server.stop());

  /** True when a TCP connection to host:port is accepted. */
  const reachable = (host: string, port: number): Promise<boolean> =>
    new Promise((resolve) => {
      const socket = connect({ host, port, timeout: 2000 });
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
      socket.once('timeout', () => (socket.destroy(), resolve(false)));
    });

  it('listens on loopback only: this machine reaches it, its other addresses do not', async () => {
    expect(await reachable('127.0.0.1', server.port)).toBe(true);
    const external = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a && !a.internal && a.family === 'IPv4')
      .map((a) => a!.address);
    for (const address of external) expect(await reachable(address, server.port)).toBe(false);
  });

  it('refuses control routes (faults, request log) without the control key, with 403', async () => {
    const without = await fetch(`${server.baseUrl}/_emulator/faults`, {
      method: 'POST',
      body: JSON.stringify({ kind: 'status', status: 503 }),
    });
    const wrong = await fetch(`${server.baseUrl}/_emulator/requests`, {
      headers: { [CONTROL_KEY_HEADER]: 'guess' },
    });
    expect([without.status, wrong.status]).toEqual([403, 403]);
    expect(server.faults.rules).toHaveLength(0);
    expect((await get(`${server.baseUrl}/items/1`)).status).toBe(200);
    const right = await fetch(`${server.baseUrl}/_emulator/requests`, {
      headers: { [CONTROL_KEY_HEADER]: server.controlKey },
    });
    expect(right.status).toBe(200);
  });
});

describe('azurite harness', () => {
  it('gives each test a working Table service', async () => {
    const table = TableClient.fromConnectionString(azuriteConnectionString(), uniqueName('smoke'), {
      allowInsecureConnection: true,
    });
    await table.createTable();
    await table.createEntity({ partitionKey: 'p', rowKey: 'r', value: 42 });
    expect((await table.getEntity<{ value: number }>('p', 'r')).value).toBe(42);
  });
});
