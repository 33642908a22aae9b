// The local host's port is its own from the first step: its URL goes into PUBLIC_BASE_URL and the
// OAuth redirect URI before the emulators start, so a free port probed and released, then bound
// seconds later, could be taken by another process in between (suites running side by side saw
// EADDRINUSE this way). A taken port is refused by the setting's name, before anything starts.
import net from 'node:net';
import { setLogSink, type LogSink } from '../../src/log/logger';
import { startLocalHost, type LocalHost } from '../../src/local/host';
import { offlineHostEnv } from '../helpers/localHostEnv';

let previousSink: LogSink;
let lines: string[] = [];

beforeEach(() => {
  lines = [];
  previousSink = setLogSink((line) => {
    lines.push(line);
    onLine?.(line);
  });
});

afterEach(() => {
  setLogSink(previousSink);
  onLine = undefined;
});

let onLine: ((line: string) => void) | undefined;

describe('the local host holds its port while it starts', () => {
  it('answers 503 on the port of its URL while the embedded emulators start, then serves on it', async () => {
    let early: Promise<{ status: number; code?: string; retryAfter: string | null }> | undefined;
    let announced: string | undefined;
    onLine = (line) => {
      if (early || !line.includes('localhost.listening')) return;
      announced = (JSON.parse(line) as { url: string }).url;
      early = fetch(`${announced}/api/jobs`).then(async (response) => ({
        status: response.status,
        code: ((await response.json()) as { error?: { code?: string } }).error?.code,
        retryAfter: response.headers.get('retry-after'),
      }));
    };
    let host: LocalHost | undefined;
    try {
      host = await startLocalHost({ port: 0, embedded: true, env: {} });
      expect(announced).toBe(host.url);
      expect(host.config.publicBaseUrl).toBe(host.url);
      expect(await early).toEqual({ status: 503, code: 'Starting', retryAfter: '1' });
      const ready = await fetch(`${host.url}/api/jobs`, { headers: { 'x-functions-key': host.functionKey } });
      expect(ready.status).toBe(200);
    } finally {
      await host?.stop();
    }
  }, 120_000);

  it('a port already in use is refused by the setting to change', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const failure = startLocalHost({ port, embedded: false, env: offlineHostEnv() });
      await expect(failure).rejects.toThrow(`Port ${port} on 127.0.0.1 is already in use.`);
      await expect(failure).rejects.toMatchObject({ code: 'ConfigInvalid', field: 'LOCAL_HOST_PORT' });
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
