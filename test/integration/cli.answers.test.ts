// How the CLI reads answers the local host cannot be made to give on demand: throttling (429 with
// Retry-After) and unavailability (503) exit 4, a refused body without a field exits 2, the server's
// setup-page advice comes out as the CLI command, a run record's own error and advice are printed,
// and a followed run shows its current speed and time left. The CLI runs in-process against a small
// HTTP server that answers each route with a scripted response.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runCli } from '../../src/cli/main';
import { capturedIO, ESC, oneLine } from './cliHarness';

interface Scripted {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Route ("GET /api/jobs") → the answers to give in turn (the last one repeats). */
const script = new Map<string, Scripted[]>();
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const answers = script.get(`${req.method} ${req.url?.split('?')[0]}`) ?? [{ status: 404, body: {} }];
    const answer = answers.length > 1 ? answers.shift()! : answers[0]!;
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
});

beforeEach(() => script.clear());

async function cli(argv: string[], options: { tty?: boolean } = {}) {
  const captured = capturedIO({ tty: options.tty, env: { AOB_FUNCTION_KEY: 'answers-test-key-0001' } });
  const code = await runCli([...argv, '--url', base], captured);
  return { code, out: captured.out(), err: captured.err() };
}

const MiB = 1024 * 1024;

function run(fields: Record<string, unknown>) {
  return {
    id: 'run-1',
    jobId: 'job-1',
    kind: 'backup',
    trigger: 'manual',
    status: 'running',
    planningComplete: true,
    createdAt: new Date(Date.now() - 10_000).toISOString(),
    startedAt: new Date(Date.now() - 10_000).toISOString(),
    failures: [],
    ...fields,
  };
}

describe('exit codes from the status the app answers', () => {
  it('429 and 503 exit 4 (temporary), with Retry-After as the wait', async () => {
    script.set('GET /api/jobs', [
      {
        status: 429,
        body: { error: { code: 'Throttled', message: 'Too many requests.' } },
        headers: { 'retry-after': '7' },
      },
    ]);
    const throttled = await cli(['job', 'list']);
    expect(throttled.code).toBe(4);
    expect(oneLine(throttled.err)).toBe(
      'Failed (HTTP 429): Too many requests. — temporary: try again in 7 s',
    );

    script.set('GET /api/connections', [{ status: 503 }]);
    const unavailable = await cli(['connection', 'list']);
    expect(unavailable.code).toBe(4);
    expect(oneLine(unavailable.err)).toMatch(/^Failed \(HTTP 503\): .* — temporary: try again shortly$/);
  });

  it('a 400 that names no option still exits 2; a 409 exits 1', async () => {
    script.set('POST /api/jobs/job-1/run', [
      {
        status: 400,
        body: { error: { code: 'StateInvalid', message: 'The job cannot run in this state.' } },
      },
    ]);
    const refused = await cli(['run', 'job-1']);
    expect(refused.code).toBe(2);
    expect(oneLine(refused.err)).toBe('Failed (HTTP 400): The job cannot run in this state.');
    script.set('DELETE /api/jobs/job-1', [
      { status: 409, body: { error: { code: 'Conflict', message: 'The job is running.' } } },
    ]);
    expect((await cli(['job', 'delete', 'job-1'])).code).toBe(1);
  });
});

describe('advice for CLI users', () => {
  it("the server's setup-page advice becomes the CLI command, with the id and --url", async () => {
    script.set('POST /api/connections/conn-1/test', [
      {
        status: 409,
        body: {
          error: {
            code: 'ReauthRequired',
            message: 'The sign-in has expired.',
            advice:
              'Open the connection in the setup page and choose Authorize again; sign in with the same account.',
          },
        },
      },
    ]);
    const { code, err } = await cli(['connection', 'test', 'conn-1']);
    expect(code).toBe(1);
    expect(oneLine(err)).toBe(
      `Failed (HTTP 409): The sign-in has expired. — Run \`npm run cli -- connection authorize conn-1 --url ${base}\` and open the address it prints; sign in with the same account.`,
    );
    expect(err).not.toContain('setup page');
  });

  it("a run record's error and advice are printed by run --follow and runs show", async () => {
    const failed = run({
      status: 'failed',
      endedAt: new Date().toISOString(),
      error: 'The destination folder could not be created.',
      errorCode: 'UpstreamError',
      advice: 'Test the connection; re-authorize it if the test fails.',
      totals: { plannedFiles: 2, plannedBytes: 10, uploadedFiles: 0, uploadedBytes: 0, failedFiles: 0 },
    });
    script.set('GET /api/runs/run-1', [{ status: 200, body: failed }]);
    const followed = await cli(['run', '--follow', 'run-1']);
    expect(followed.code).toBe(1);
    expect(followed.out).toContain(
      '  reason: The destination folder could not be created. (UpstreamError)\n',
    );
    expect(followed.out).toContain(
      `  fix: Test it with \`npm run cli -- connection test <connection id> --url ${base}\`; if that fails, re-authorize it with \`npm run cli -- connection authorize <connection id> --url ${base}\`.\n`,
    );
    expect(oneLine(followed.err)).toMatch(
      /^Backup run run-1 ended failed: The destination folder could not be created\. — Test it with `npm run cli -- connection test /,
    );
    const shown = await cli(['runs', 'show', 'run-1']);
    expect(shown.code).toBe(0);
    expect(shown.out).toMatch(/^Job job-1, backup \(manual\): created /);
    expect(shown.out).toContain('  reason: The destination folder could not be created. (UpstreamError)\n');
    expect(shown.out).toContain('  fix: Test it with ');
  });
});

describe('progress', () => {
  it('shows the current speed and the time left while bytes move, the average at the end', async () => {
    const totals = (done: number) => ({
      plannedFiles: 1,
      plannedBytes: 10 * MiB,
      uploadedFiles: done === 10 * MiB ? 1 : 0,
      uploadedBytes: done,
      failedFiles: 0,
    });
    script.set('GET /api/runs/run-1', [
      { status: 200, body: run({ totals: totals(0) }) },
      { status: 200, body: run({ totals: totals(1 * MiB) }) },
      { status: 200, body: run({ totals: totals(2 * MiB) }) },
      {
        status: 200,
        body: run({ status: 'succeeded', endedAt: new Date().toISOString(), totals: totals(10 * MiB) }),
      },
    ]);
    const terminal = await cli(['run', '--follow', 'run-1'], { tty: true });
    expect(terminal.code).toBe(0);
    const frames = terminal.out.split(`\r${ESC}[2K`);
    expect(
      frames.some((f) =>
        /running: 0 of 1 files, 2\.0 MiB of 10 MiB, avg .*\/s, [\d.]+ [KM]iB\/s now, ETA \d+:\d\d$/.test(f),
      ),
    ).toBe(true);
    expect(terminal.out).toMatch(
      /\nBackup run run-1 succeeded: 1 of 1 files, 10 MiB of 10 MiB, avg [\d.]+ [KM]iB\/s\.\n/,
    );
    expect(terminal.out).not.toMatch(/succeeded: .* now/);
  });
});
