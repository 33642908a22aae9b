// The CLI's conventions (as the az CLI and rclone keep them), driven against the local host in
// embedded mode: clean --json on stdout (also through `npm run -s cli` and the bin, as separate
// processes), --version, AOB_URL, hints that keep --url, all missing options at once, a group word
// alone listing its commands, the exit codes (2 bad input, 3 not found, 4 temporary), following a
// run by its id, job edit / disable / enable / delete, connection delete, chunk sizes with units, and
// a failed run's reason printed by `run` and `runs show`.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import packageJson from '../../package.json';
import { addAuthorizedConnection, oneLine, useLocalHost } from './cliHarness';

jest.setTimeout(180_000);

const ROOT = path.join(__dirname, '..', '..');
const local = useLocalHost();
const cli = local.cli;

/** The CLI as a separate process, the way a script runs it; stdout and stderr kept apart. */
async function spawnCli(command: string, args: string[], env: Record<string, string>) {
  try {
    const { stdout, stderr } = await promisify(execFile)(command, args, {
      cwd: ROOT,
      env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? ROOT, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let connectionId: string;
let jobId: string;

beforeAll(async () => {
  connectionId = await addAuthorizedConnection(cli, 'Conventions OneDrive');
  const created = await cli([
    'job',
    'create',
    '--name',
    'Conventions backup',
    '--connection',
    connectionId,
    '--container',
    local.get().demoContainer!,
    '--folder',
    'conventions',
    '--schedule',
    '0 0 3 * * *',
    '--json',
  ]);
  expect(created.err).toBe('');
  jobId = (JSON.parse(created.out) as { id: string }).id;
});

describe('--json and --version', () => {
  it('npm run -s cli and the bin print exactly one JSON document on stdout, errors on stderr', async () => {
    const host = local.get();
    const env = { AOB_FUNCTION_KEY: host.functionKey, AOB_URL: host.url };
    const viaNpm = await spawnCli('npm', ['run', '-s', 'cli', '--', 'job', 'list', '--json'], env);
    expect(viaNpm.stderr).toBe('');
    expect(viaNpm.code).toBe(0);
    expect((JSON.parse(viaNpm.stdout) as { jobs: Array<{ id: string }> }).jobs.map((j) => j.id)).toContain(
      jobId,
    );

    const viaBin = await spawnCli(
      process.execPath,
      ['bin/azure-onedrive-backup.js', 'runs', jobId, '--json'],
      env,
    );
    expect(viaBin.code).toBe(0);
    expect(JSON.parse(viaBin.stdout)).toEqual({ runs: [] });

    // A failure prints nothing on stdout, so a script's JSON parse never sees half a document.
    const missing = await spawnCli(
      process.execPath,
      ['bin/azure-onedrive-backup.js', 'runs', 'show', 'no-such-run', '--json'],
      env,
    );
    expect(missing.code).toBe(3);
    expect(missing.stdout).toBe('');
    expect(oneLine(missing.stderr)).toMatch(/^Failed \(HTTP 404\): No run with id no-such-run\./);
    expect(missing.stderr).not.toContain(host.functionKey);
  });

  it('every command that prints takes --json; none echoes the function key', async () => {
    const host = local.get();
    for (const argv of [
      ['status'],
      ['connection', 'list'],
      ['connection', 'test', connectionId],
      ['drives', connectionId],
      ['folders', connectionId],
      ['job', 'list'],
      ['runs', jobId],
    ]) {
      const { code, out, err } = await cli([...argv, '--json']);
      expect({ argv, code, err }).toEqual({ argv, code: 0, err: '' });
      expect(() => JSON.parse(out)).not.toThrow();
      expect(out).not.toContain(host.functionKey);
    }
    // authorize's JSON gives the sign-in address without the key (a script adds ?code= itself).
    const authorize = await cli(['connection', 'authorize', connectionId, '--json']);
    const body = JSON.parse(authorize.out) as { id: string; authorizeUrl: string };
    expect(body.id).toBe(connectionId);
    expect(body.authorizeUrl).toBe(`${host.url}/api/connections/${connectionId}/authorize`);
    expect(authorize.out).not.toContain(host.functionKey);
    // And so does add's, so a script can authorize what it just added.
    const added = await cli(['connection', 'add', '--name', 'Scripted', '--json']);
    const addedBody = JSON.parse(added.out) as { id: string; authorizeUrl: string };
    expect(addedBody.authorizeUrl).toBe(`${host.url}/api/connections/${addedBody.id}/authorize`);
    expect(added.out).not.toContain(host.functionKey);
  });

  it('--version prints the package version, as text or JSON', async () => {
    const text = await cli(['--version'], { noUrl: true });
    expect(text).toEqual({ code: 0, out: `azure-onedrive-backup ${packageJson.version}\n`, err: '' });
    const json = await cli(['--version', '--json'], { noUrl: true });
    expect(JSON.parse(json.out)).toEqual({ version: packageJson.version });
  });
});

describe('where the app is, and the hints', () => {
  it('AOB_URL gives the address when --url is absent, and hints then leave --url out', async () => {
    const host = local.get();
    const { code, out, err } = await cli(['job', 'disable', jobId], {
      noUrl: true,
      env: { AOB_FUNCTION_KEY: host.functionKey, AOB_URL: host.url },
    });
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toContain(`Enable it again with: npm run cli -- job enable ${jobId}\n`);
    // Without AOB_URL the default address is tried, which is not this host.
    const elsewhere = await cli(['job', 'list'], {
      noUrl: true,
      env: { AOB_FUNCTION_KEY: host.functionKey, AOB_URL: 'http://127.0.0.1:1' },
    });
    expect(elsewhere.code).toBe(4);
    expect(oneLine(elsewhere.err)).toMatch(/^cannot reach http:\/\/127\.0\.0\.1:1/);
  });

  it('hints repeat the --url given (never the key)', async () => {
    const host = local.get();
    const disabled = await cli(['job', 'disable', jobId]);
    expect(disabled.out).toContain(
      `Enable it again with: npm run cli -- job enable ${jobId} --url ${host.url}\n`,
    );
    const started = await cli(['run', jobId, '--no-wait']);
    expect(started.code).toBe(0);
    const runId = /^Started backup run (\S+) /.exec(started.out)![1]!;
    expect(started.out).toContain(`Follow it with: npm run cli -- run --follow ${runId} --url ${host.url}\n`);
    expect(started.out + disabled.out).not.toContain(host.functionKey);

    // run --follow <run id> picks it up and follows it to its end.
    const followed = await cli(['run', '--follow', runId]);
    expect(followed.err).toBe('');
    expect(followed.code).toBe(0);
    expect(followed.out).toMatch(new RegExp(`^Backup run ${runId} succeeded: 4 of 4 files`, 'm'));
    await cli(['job', 'enable', jobId]);
  });
});

describe('usage: group words, missing options, exit 2', () => {
  it('`job` or `connection` alone lists its subcommands (exit 0); a wrong one exits 2', async () => {
    const job = await cli(['job'], { noUrl: true });
    expect(job.code).toBe(0);
    for (const sub of ['create', 'list', 'edit', 'disable', 'enable', 'delete'])
      expect(job.out).toMatch(new RegExp(`^  job ${sub} `, 'm'));
    const connection = await cli(['connection'], { noUrl: true });
    expect(connection.code).toBe(0);
    for (const sub of ['add', 'list', 'authorize', 'test', 'delete'])
      expect(connection.out).toMatch(new RegExp(`^  connection ${sub} `, 'm'));
    const typo = await cli(['job', 'crate'], { noUrl: true });
    expect(typo.code).toBe(2);
    expect(typo.out).toBe('');
    expect(typo.err).toMatch(/^Unknown command 'job crate'\.\n[\s\S]*job create/);
  });

  it('restore and connection add name their missing options; the server refusing input exits 2', async () => {
    const restore = await cli(['restore', jobId]);
    expect(restore.code).toBe(2);
    expect(oneLine(restore.err)).toMatch(/^--container is required: /);
    const add = await cli(['connection', 'add']);
    expect(add.code).toBe(2);
    expect(oneLine(add.err)).toMatch(/^--name is required: /);
    // A rule only the server knows (the connection must exist), reported against the option.
    const edit = await cli(['job', 'edit', jobId, '--connection', 'no-such-connection']);
    expect(edit.code).toBe(2);
    expect(oneLine(edit.err)).toMatch(/^--connection: must name an existing connection/);
    const noRun = await cli(['run', '--follow']);
    expect(noRun.code).toBe(2);
    expect(oneLine(noRun.err)).toMatch(/^Missing <runId>: /);
    const nothing = await cli(['job', 'edit', jobId]);
    expect(nothing.code).toBe(2);
    expect(oneLine(nothing.err)).toMatch(/^Nothing to change: give at least one of --name, /);
  });

  it('--chunk-size takes 10MiB, 320KiB, 10M or bytes; a decimal unit is refused', async () => {
    for (const [text, bytes] of [
      ['10MiB', 10 * 1024 * 1024],
      ['320KiB', 327_680],
      ['655360', 655_360],
      ['20M', 20 * 1024 * 1024],
    ] as const) {
      const { code, out, err } = await cli(['job', 'edit', jobId, '--chunk-size', text, '--json']);
      expect({ text, code, err }).toEqual({ text, code: 0, err: '' });
      expect((JSON.parse(out) as { chunkSizeBytes: number }).chunkSizeBytes).toBe(bytes);
    }
    const decimal = await cli(['job', 'edit', jobId, '--chunk-size', '320KB']);
    expect(decimal.code).toBe(2);
    expect(oneLine(decimal.err)).toMatch(/^--chunk-size: .*'320KB' \(KB is decimal: use KiB or MiB\)/);
    const notMultiple = await cli(['job', 'edit', jobId, '--chunk-size', '1MB']);
    expect(notMultiple.code).toBe(2);
  });
});

describe('job edit, disable, enable, delete; connection delete; not found is exit 3', () => {
  it('job edit changes only what is given; the source keeps its container when the prefix changes', async () => {
    const edited = await cli(['job', 'edit', jobId, '--prefix', 'reports/', '--schedule', '0 15 4 * * *']);
    expect(edited.err).toBe('');
    expect(edited.code).toBe(0);
    expect(edited.out).toMatch(/^Changed job 'Conventions backup' \(\S+\): --prefix, --schedule\.$/m);
    expect(edited.out).toMatch(/demo-source\/reports\/ → conventions, mirror/);
    expect(edited.out).toMatch(/every day at 04:15 UTC/);
  });

  it('disable and enable show in job list', async () => {
    const stateOf = async () => {
      const { out } = await cli(['job', 'list']);
      return new RegExp(`^${jobId}\\s.*\\s(idle|disabled)$`, 'm').exec(out)?.[1];
    };
    expect((await cli(['job', 'disable', jobId])).code).toBe(0);
    expect(await stateOf()).toBe('disabled');
    expect((await cli(['job', 'enable', jobId])).code).toBe(0);
    expect(await stateOf()).toBe('idle');
  });

  it('a missing job, run or connection exits 3 from every command that names one', async () => {
    for (const argv of [
      ['run', 'no-such-job'],
      ['run', '--follow', 'no-such-run'],
      ['runs', 'show', 'no-such-run'],
      ['job', 'edit', 'no-such-job', '--name', 'x'],
      ['job', 'disable', 'no-such-job'],
      ['job', 'delete', 'no-such-job'],
      ['connection', 'test', 'no-such-connection'],
      ['connection', 'delete', 'no-such-connection'],
    ]) {
      const { code, err } = await cli(argv);
      expect({ argv, code }).toEqual({ argv, code: 3 });
      expect(oneLine(err)).toMatch(/^Failed \(HTTP 404\): /);
    }
  });

  it('connection delete refuses while a job uses it (exit 1); job delete, then connection delete', async () => {
    const host = local.get();
    const refused = await cli(['connection', 'delete', connectionId]);
    expect(refused.code).toBe(1);
    expect(oneLine(refused.err)).toBe(
      `Connection ${connectionId} is used by 1 job(s): ${jobId} — delete them first (\`npm run cli -- job delete ${jobId} --url ${host.url}\`), or pass --force`,
    );
    const deletedJob = await cli(['job', 'delete', jobId, '--json']);
    expect(deletedJob.code).toBe(0);
    expect(JSON.parse(deletedJob.out)).toEqual({ id: jobId, deleted: true });
    expect((await cli(['job', 'delete', jobId])).code).toBe(3);
    const deleted = await cli(['connection', 'delete', connectionId]);
    expect(deleted.err).toBe('');
    expect(deleted.code).toBe(0);
    expect(deleted.out).toMatch(/^Deleted connection \S+ and its stored sign-in\./);
    const { out } = await cli(['connection', 'list', '--json']);
    expect(
      (JSON.parse(out) as { connections: Array<{ id: string }> }).connections.map((c) => c.id),
    ).not.toContain(connectionId);
  });
});

describe("a failed run's reason", () => {
  it('run and runs show print the reason a run stopped, with its advice', async () => {
    // A connection never authorized has no drive: no upload of the run could succeed, so the run
    // stops at its first page with that reason instead of failing file by file.
    const added = await cli(['connection', 'add', '--name', 'Never authorized', '--json']);
    const unauthorized = (JSON.parse(added.out) as { id: string }).id;
    const created = await cli([
      'job',
      'create',
      '--name',
      'Doomed',
      '--connection',
      unauthorized,
      '--container',
      local.get().demoContainer!,
      '--folder',
      'doomed',
      '--schedule',
      '0 0 3 * * *',
      '--json',
    ]);
    const doomed = (JSON.parse(created.out) as { id: string }).id;
    const run = await cli(['run', doomed]);
    expect(run.code).toBe(1);
    const all = `${run.out}\n${run.err}`;
    const runId = /Backup run (\S+) (?:ended )?failed/m.exec(all)![1]!;
    expect(all).toContain('has no drive yet');

    const shown = await cli(['runs', 'show', runId]);
    expect(shown.code).toBe(0);
    expect(shown.out).toContain('has no drive yet');
    expect(shown.out).toMatch(/connection authorize|Authorize/);
  });
});
