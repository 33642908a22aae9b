import https from 'node:https';
import { EmulatorServer, json } from '../../emulators/shared/server';
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
      body: JSON.stringify({ kind: 'status', status: 503, path: '^/items/' }),
    });
    expect(res.status).toBe(200);
    expect((await get(`${server.baseUrl}/items/1`)).status).toBe(503);
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
