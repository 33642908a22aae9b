// What the CLI tests share: a local host in embedded mode (Azurite and the Microsoft emulators), the
// CLI run in-process against it with captured streams, and helpers for its one-line errors and for
// authorizing a connection the way a person would (opening the printed address).
import { PassThrough, Readable } from 'node:stream';
import type { CliIO } from '../../src/cli/command';
import { runCli } from '../../src/cli/main';
import { startLocalHost, type LocalHost } from '../../src/local/host';
import { setLogSink, type LogSink } from '../../src/log/logger';

export const ESC = String.fromCharCode(27);

export type CapturedIO = CliIO & { out: () => string; err: () => string };

export interface CliOptions {
  /** stdout claims to be a terminal, as the progress bar checks. */
  tty?: boolean;
  /** The environment (default: the host's function key in AOB_FUNCTION_KEY). */
  env?: Record<string, string>;
  /** Leave out the `--url <host>` the helper adds, e.g. to test AOB_URL. */
  noUrl?: boolean;
}

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/** Starts the local host for a test file; `get()` returns it once beforeAll has run. */
export function useLocalHost(): {
  get: () => LocalHost;
  cli: (argv: string[], options?: CliOptions) => Promise<CliResult>;
} {
  let host: LocalHost;
  let previousSink: LogSink;
  beforeAll(async () => {
    previousSink = setLogSink(() => undefined);
    host = await startLocalHost({
      port: 0,
      embedded: true,
      env: {},
      // host.json's 10 s polling would make each step wait; the semantics stay the same.
      queue: { minPollingIntervalMs: 50, maxPollingIntervalMs: 250, retryDelayMs: 0 },
    });
  }, 120_000);
  afterAll(async () => {
    await host?.stop();
    setLogSink(previousSink);
  });
  const cli = async (argv: string[], options: CliOptions = {}): Promise<CliResult> => {
    const captured = capturedIO({
      tty: options.tty,
      env: options.env ?? { AOB_FUNCTION_KEY: host.functionKey },
    });
    const code = await runCli(options.noUrl ? argv : [...argv, '--url', host.url], captured);
    return { code, out: captured.out(), err: captured.err() };
  };
  return { get: () => host, cli };
}

/** Captured streams and a short poll interval. */
export function capturedIO(options: { tty?: boolean; env?: Record<string, string> } = {}): CapturedIO {
  const stdout = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number };
  const stderr = new PassThrough();
  if (options.tty) {
    stdout.isTTY = true;
    stdout.columns = 120;
  }
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += c));
  stderr.on('data', (c) => (err += c));
  return {
    stdin: Readable.from([]),
    stdout,
    stderr,
    env: options.env ?? {},
    fetch,
    pollIntervalMs: 100,
    out: () => out,
    err: () => err,
  };
}

/** The text as its one line (the CLI's errors are one line each). */
export function oneLine(text: string): string {
  const lines = text.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

/** Adds a personal connection and authorizes it by opening the printed address; returns its id. */
export async function addAuthorizedConnection(
  cli: (argv: string[]) => Promise<CliResult>,
  name: string,
): Promise<string> {
  const added = await cli([
    'connection',
    'add',
    '--name',
    name,
    '--tenant',
    'common',
    '--drive-type',
    'personal',
  ]);
  expect(added.err).toBe('');
  const id = /\(([0-9a-f-]{36})\)/.exec(added.out)![1]!;
  const url = /^\s+(http:\/\/\S+\/api\/connections\/\S+\/authorize\?code=\S+)$/m.exec(added.out)![1]!;
  const page = await fetch(url, { redirect: 'follow' });
  expect(await page.text()).toMatch(/Connected/);
  return id;
}
