// Names and messages the CLI prints come from the server, and whoever can name a connection, a job
// or a blob chooses them. Printed raw, ESC sequences would clear the screen, recolour or set the
// window title, a CR/LF would forge a line such as "All steps passed.", C1 characters act as
// escapes on some terminals and bidi overrides make a name read as something else. A fake server
// answers every command here with such names; nothing a terminal obeys may reach stdout or stderr
// (tables, messages, the progress bar on a terminal), and --json still carries the exact values.
import { PassThrough, Readable } from 'node:stream';
import type { CliIO } from '../../src/cli/command';
import { runCli } from '../../src/cli/main';

const HOSTILE =
  'evil\x1b]0;pwned title\x07\x1b[2J\x1b[1;31mred\x1b[0m\r\nAll steps passed.\u202Egnp.exe\x9b31m\x00\x07\x08\x7f\u2066iso\u2069\x1bPdcs\x1b\\';
/** What a terminal would obey, apart from the line feed that ends each line. */
// eslint-disable-next-line no-control-regex
const OBEYED = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

const connection = {
  id: 'c1',
  name: HOSTILE,
  cloud: 'global',
  tenant: 'consumers',
  driveType: 'personal',
  rootFolder: `Backups/${HOSTILE}`,
  status: 'reauth-required',
  statusReason: HOSTILE,
  advice: HOSTILE,
  accountUpn: HOSTILE,
};
const job = {
  id: 'j1',
  name: HOSTILE,
  connectionId: 'c1',
  source: { container: 'data', prefix: HOSTILE },
  destinationFolder: HOSTILE,
  schedule: '0 0 2 * * *',
  mode: 'mirror',
  enabled: true,
};
const run = {
  id: 'r1',
  jobId: 'j1',
  kind: 'backup',
  status: 'failed',
  planningComplete: true,
  totals: { plannedFiles: 1, failedFiles: 1, plannedBytes: 10, uploadedBytes: 0 },
  createdAt: '2027-01-01T00:00:00Z',
  endedAt: '2027-01-01T00:00:01Z',
  snapshotFolder: HOSTILE,
  error: HOSTILE,
  failures: [{ file: HOSTILE, code: 'X', reason: HOSTILE }],
};

/** The fake app: each route the commands call, with hostile strings everywhere. */
const fakeFetch = (async (input: string | URL | Request) => {
  const path = new URL(String(input)).pathname;
  const json = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  if (path === '/api/connections') return json(200, { connections: [connection] });
  if (path === '/api/jobs') return json(200, { jobs: [job] });
  if (path === '/api/jobs/j1/run') return json(202, { ...run, status: 'queued' });
  if (path === '/api/runs/r1') return json(200, run);
  if (path === '/api/jobs/j1/runs') return json(200, { runs: [{ ...run, kind: HOSTILE, status: HOSTILE }] });
  return json(500, { error: { code: 'Internal', message: HOSTILE, advice: HOSTILE } });
}) as typeof fetch;

function io(tty = false) {
  const stdout = Object.assign(new PassThrough(), tty ? { isTTY: true, columns: 200 } : {});
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += c));
  stderr.on('data', (c) => (err += c));
  const cli: CliIO = {
    stdin: Readable.from([]),
    stdout,
    stderr,
    env: { AOB_FUNCTION_KEY: 'k' },
    fetch: fakeFetch,
    pollIntervalMs: 1,
  };
  return { cli, out: () => out, err: () => err };
}

function expectTerminalSafe(text: string): void {
  expect(text).toContain('evil');
  expect(text).not.toMatch(OBEYED);
  // The forged line is never a line of its own: it stays inside the name it came with.
  for (const line of text.split('\n')) if (line.includes('All steps passed.')) expect(line).toContain('evil');
}

describe('the CLI prints server-provided strings terminal-safe', () => {
  it.each([
    ['connection list', ['connection', 'list']],
    ['job list', ['job', 'list']],
    ['runs', ['runs', 'j1']],
    ['run (plain progress, failures, error)', ['run', 'j1']],
    ['a server error message', ['job', 'list', '--url', 'http://app.test/unknown-base']],
  ])('%s', async (_label, argv) => {
    const { cli, out, err } = io();
    await runCli(argv, cli);
    expectTerminalSafe(out() + err());
  });

  it('the redrawn progress bar on a terminal carries only its own erase-line sequence', async () => {
    const { cli, out, err } = io(true);
    await runCli(['run', 'j1'], cli);
    // eslint-disable-next-line no-control-regex
    expectTerminalSafe(out().replace(/\r\x1b\[2K/g, '\n') + err());
  });

  it('--json escapes what a terminal would obey and still carries the exact values', async () => {
    const { cli, out } = io();
    expect(await runCli(['job', 'list', '--json'], cli)).toBe(0);
    expect(out()).not.toMatch(OBEYED);
    expect(JSON.parse(out())).toEqual({ jobs: [job] });
  });
});
