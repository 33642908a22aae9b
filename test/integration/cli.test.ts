// `secret set` from the CLI, in-process, against a small HTTP server that serves the real
// POST /api/secret handler (behind a function key) over the Key Vault emulator.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough, Readable } from 'node:stream';
import { MemoryAlertStateStore } from '../../src/alerts/alertState';
import { postSecret } from '../../src/alerts/api';
import type { AlertDeps } from '../../src/alerts/deps';
import { errorResult } from '../../src/http/errors';
import { runCli } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/command';
import { createLogger, setLogSink, type LogSink } from '../../src/log/logger';
import { StaticTokenCredential } from '../../src/secrets/credential';
import { KeyVaultSecretStore } from '../../src/secrets/secretStore';
import { KeyVaultEmulator } from '../../emulators/keyvault';

const KEY = 'cli-test-function-key-0001';
const VALUE = 'Zz9~cliTest.Value_0123456789abcdefGHIJKL';
const SECRET = 'graph-client-secret-cli';
let vault: KeyVaultEmulator;
let server: Server;
let base: string;
const lines: string[] = [];
let previousSink: LogSink;

beforeAll(async () => {
  previousSink = setLogSink((line) => lines.push(line));
  vault = await new KeyVaultEmulator().start();
  const secrets = new KeyVaultSecretStore({
    keyVaultUrl: vault.vaultUrl,
    credential: new StaticTokenCredential('kv-token-cli-0001'),
  });
  const deps = {
    secretSet: { secretName: SECRET, secrets, now: () => new Date() },
    state: new MemoryAlertStateStore(),
  } as unknown as AlertDeps;
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', async () => {
      const send = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      if (req.headers['x-functions-key'] !== KEY) return send(401, {});
      const request = {
        method: req.method ?? 'POST',
        url: req.url ?? '',
        params: {},
        query: new URLSearchParams(),
        headers: {},
        body,
      };
      const result = await postSecret(deps, request, createLogger()).catch((error) => errorResult(error));
      send(result.status, result.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  setLogSink(previousSink);
  await new Promise((resolve) => server?.close(resolve));
  await vault?.stop();
});

function io(
  stdinText: string,
  env: Record<string, string> = {},
): CliIO & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += c));
  stderr.on('data', (c) => (err += c));
  return { stdin: Readable.from([stdinText]), stdout, stderr, env, fetch, out: () => out, err: () => err };
}

describe('npm run cli -- secret set', () => {
  it('stores the value read from stdin with its expiry and prints the days left', async () => {
    const expires = new Date(Date.now() + 100 * 86_400_000).toISOString().slice(0, 10);
    const cli = io(`${VALUE}\n`, { AOB_FUNCTION_KEY: KEY });
    const code = await runCli(['secret', 'set', '--expires', expires, '--value-stdin', '--url', base], cli);
    expect(cli.err()).toBe('');
    expect(code).toBe(0);
    expect(cli.out()).toMatch(/Stored client secret 'graph-client-secret-cli'/);
    expect(cli.out()).toMatch(/(99|100) days left/);
    expect(cli.out()).not.toContain(VALUE);
    const stored = vault.secret(SECRET)!.versions.at(-1)!;
    expect(stored.value).toBe(VALUE);
    expect(stored.attributes.exp).toBe(Date.parse(`${expires}T00:00:00Z`) / 1000);
  });

  it('refuses a missing or past expiry before reading the value (exit 2)', async () => {
    for (const args of [[], ['--expires', '2020-01-01'], ['--expires', 'soon']]) {
      const cli = io(VALUE);
      expect(await runCli(['secret', 'set', '--url', base, ...args], cli)).toBe(2);
      expect(cli.err()).toMatch(/--expires/);
    }
  });

  it('has no option that takes the value from the command line', async () => {
    const cli = io('');
    expect(await runCli(['secret', 'set', '--expires', '2099-01-01', '--value', VALUE], cli)).toBe(2);
    expect(cli.err()).toMatch(/Unknown option/);
  });

  it('says what is wrong when the function key is missing (exit 1), or the server unreachable (exit 4)', async () => {
    const noKey = io(VALUE);
    expect(await runCli(['secret', 'set', '--expires', '2099-01-01', '--url', base], noKey)).toBe(1);
    expect(noKey.err()).toMatch(/AOB_FUNCTION_KEY/);
    const down = io(VALUE, { AOB_FUNCTION_KEY: KEY });
    expect(
      await runCli(['secret', 'set', '--expires', '2099-01-01', '--url', 'http://127.0.0.1:1'], down),
    ).toBe(4);
    expect(down.err()).toMatch(/^cannot reach http:\/\/127.0.0.1:1: /);
    expect(down.err().trim().split('\n')).toHaveLength(1);
  });

  it('relays the server refusing a value (the Secret ID instead of the Value) as bad input, exit 2', async () => {
    const cli = io('8a6f3c2e-1b4d-4e5f-9a7b-0c1d2e3f4a5b', { AOB_FUNCTION_KEY: KEY });
    expect(await runCli(['secret', 'set', '--expires', '2099-01-01', '--url', base], cli)).toBe(2);
    expect(cli.err()).toMatch(/HTTP 400.*Secret ID/);
  });

  it('lists its commands, and logs no secret', async () => {
    const cli = io('');
    expect(await runCli(['help'], cli)).toBe(0);
    expect(cli.out()).toContain('secret set');
    for (const line of lines) expect(line).not.toContain(VALUE);
  });
});
