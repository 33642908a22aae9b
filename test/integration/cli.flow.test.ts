// The CLI end to end, in-process, against the local host in embedded mode (Azurite and the Microsoft
// emulators), the way the README's CLI tour goes: add a connection, authorize it by opening the
// printed address, create a job on the demo container, run it to success with progress, list the
// runs, restore into a new container. Then the ways it can go wrong: bad input (one line, exit 2),
// a failed operation (one line, exit 1), an unreachable app, a wrong key.
import { BlobServiceClient } from '@azure/storage-blob';
import { runCli } from '../../src/cli/main';
import { capturedIO, ESC, oneLine, useLocalHost } from './cliHarness';

jest.setTimeout(180_000);

const local = useLocalHost();
const cli = local.cli;
let host: ReturnType<typeof local.get>;
beforeAll(() => {
  host = local.get();
});

describe('the CLI against the local host (embedded mode)', () => {
  let connectionId: string;
  let jobId: string;
  let accountUpn: string;

  it('status: the app is up and the client secret has its days left', async () => {
    const { code, out, err } = await cli(['status']);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toMatch(/: up, version \d+\.\d+\.\d+ \(storage emulated/);
    expect(out).toMatch(/Client secret 'graph-client-secret': (364|365) days left/);
    expect(out).not.toContain(host.functionKey);
  });

  it('connection add prints the authorize address, which signs in when opened', async () => {
    const added = await cli([
      'connection',
      'add',
      '--name',
      'CLI OneDrive',
      '--tenant',
      'common',
      '--drive-type',
      'personal',
    ]);
    expect(added.err).toBe('');
    expect(added.code).toBe(0);
    expect(added.out).toMatch(/Added connection 'CLI OneDrive' \(([0-9a-f-]{36})\): personal drive/);
    connectionId = /\(([0-9a-f-]{36})\)/.exec(added.out)![1]!;
    // The one place the key is printed, and the output says so.
    expect(added.out).toMatch(/contains the function key/);
    const url = /^\s+(http:\/\/\S+\/api\/connections\/\S+\/authorize\?code=\S+)$/m.exec(added.out)![1]!;
    expect(new URL(url).searchParams.get('code')).toBe(host.functionKey);

    // As a browser would: the authorize route redirects to the identity emulator, which consents
    // at once and redirects back to the callback page.
    const page = await fetch(url, { redirect: 'follow' });
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/Connected/);

    const listed = await cli(['connection', 'list', '--json']);
    expect(listed.code).toBe(0);
    const { connections } = JSON.parse(listed.out) as {
      connections: Array<{ id: string; status: string; accountUpn: string }>;
    };
    const connection = connections.find((c) => c.id === connectionId)!;
    expect(connection.status).toBe('authorized');
    accountUpn = connection.accountUpn;
    const table = await cli(['connection', 'list']);
    expect(table.out).toMatch(new RegExp(`${connectionId}\\s+CLI OneDrive\\s+authorized`));
  });

  it('lists the drive and folders, and tests the connection step by step', async () => {
    const drives = await cli(['drives', connectionId]);
    expect(drives.code).toBe(0);
    expect(drives.out).toMatch(/^ID\s+NAME\s+TYPE/);
    expect(drives.out).toMatch(/personal/);

    const test = await cli(['connection', 'test', connectionId]);
    expect(test.err).toBe('');
    expect(test.code).toBe(0);
    expect(test.out).toMatch(/token\s+ok[\s\S]*drive\s+ok[\s\S]*folder\s+ok[\s\S]*probe\s+ok/);
    expect(test.out).toMatch(/All steps passed/);

    // The test created the connection's root folder, so the drive root now lists it.
    const folders = await cli(['folders', connectionId, '--path', '/']);
    expect(folders.code).toBe(0);
    expect(folders.out).toMatch(/^\/Backups\b/m);
  });

  it('job create: refuses bad input with one line and exit 2, naming the option', async () => {
    const base = [
      'job',
      'create',
      '--name',
      'CLI backup',
      '--connection',
      connectionId,
      '--container',
      'demo-source',
      '--folder',
      'cli',
    ];
    // Every missing option at once, each with what it is.
    const missing = await cli(['job', 'create', '--name', 'x']);
    expect(missing.code).toBe(2);
    expect(oneLine(missing.err)).toMatch(
      /^Missing 4 required options: --connection \(.*\), --container \(.*\), --folder \(.*\), --schedule \(.*\)/,
    );
    const oneMissing = await cli([...base.slice(0, 8), '--schedule', '0 0 2 * * *']);
    expect(oneMissing.code).toBe(2);
    expect(oneLine(oneMissing.err)).toMatch(/^--folder is required: /);

    const fiveFields = await cli([...base, '--schedule', '0 2 * * *']);
    expect(fiveFields.code).toBe(2);
    expect(oneLine(fiveFields.err)).toMatch(/^--schedule: expected 6 fields/);

    // The server's rule, reported against the option: a 320 KiB multiple.
    const chunk = await cli([...base, '--schedule', '0 0 2 * * *', '--chunk-size', '1000']);
    expect(chunk.code).toBe(2);
    expect(oneLine(chunk.err)).toMatch(/^--chunk-size: .*327,?680/);

    const container = await cli([
      ...base.slice(0, 6),
      '--container',
      'Not_A_Container',
      '--folder',
      'cli',
      '--schedule',
      '0 0 2 * * *',
    ]);
    expect(container.code).toBe(2);
    expect(oneLine(container.err)).toMatch(/^--container: must be 3-63 characters/);

    const unknown = await cli(['job', 'create', '--nmae', 'x']);
    expect(unknown.code).toBe(2);
    expect(oneLine(unknown.err)).toMatch(/--nmae/);

    const noId = await cli(['run']);
    expect(noId.code).toBe(2);
    expect(oneLine(noId.err)).toMatch(/^Missing <jobId>/);
  });

  it('job create on the demo container, with the schedule in plain words', async () => {
    const created = await cli([
      'job',
      'create',
      '--name',
      'CLI backup',
      '--connection',
      connectionId,
      '--container',
      host.demoContainer!,
      '--folder',
      'cli',
      '--schedule',
      '0 30 2 * * *',
      '--chunk-size',
      '320KiB',
    ]);
    expect(created.err).toBe('');
    expect(created.code).toBe(0);
    jobId = /Created job 'CLI backup' \(([^)]+)\)/.exec(created.out)![1]!;
    expect(created.out).toMatch(/every day at 02:30 UTC/);
    expect(created.out).toMatch(/chunks of 320 KiB/);
    const list = await cli(['job', 'list']);
    expect(list.out).toMatch(new RegExp(`${jobId}\\s+CLI backup\\s+demo-source/\\s+cli\\s+mirror`));
  });

  it('run follows the backup to success with plain progress lines when not a terminal', async () => {
    const { code, out, err } = await cli(['run', jobId]);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toMatch(/^Started backup run \S+\.$/m);
    // Progress lines, then the summary: every demo file uploaded.
    expect(out).toMatch(/^(queued|running|succeeded): \d+ of \d+ files/m);
    expect(out).toMatch(/^Backup run \S+ succeeded: 4 of 4 files, .* of .*, avg .*\/s\.$/m);
    // No carriage returns or escape codes (ESC, 0x1b) in a pipe or log file.
    expect(out).not.toContain('\r');
    expect(out).not.toContain(ESC);
    expect(out).not.toContain(host.functionKey);
    const paths = host
      .emulators!.graph.listFiles(host.emulators!.graph.driveIdOf(accountUpn))
      .map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining(['/Backups/cli/readme.txt', '/Backups/cli/reports/2026-01.csv']),
    );
  });

  it('run draws a redrawn progress bar on a terminal; unchanged files are skipped', async () => {
    const { code, out } = await cli(['run', jobId], { tty: true });
    expect(code).toBe(0);
    // Redrawn in place: carriage return and erase-line before each frame.
    expect(out.replaceAll(ESC, '<ESC>')).toMatch(
      /\r<ESC>\[2K\[#{24}\] 100% succeeded: 0 of 0 files \(4 unchanged\)/,
    );
    expect(out).toMatch(/\nBackup run \S+ succeeded/);
  });

  it('runs lists both runs, newest first; --json prints the API JSON', async () => {
    const table = await cli(['runs', jobId]);
    expect(table.code).toBe(0);
    const rows = table.out.trim().split('\n');
    expect(rows[0]).toMatch(/^RUN\s+KIND\s+STATUS/);
    expect(rows.slice(1).filter((r) => /backup\s+succeeded/.test(r))).toHaveLength(2);
    const json = await cli(['runs', jobId, '--json']);
    const { runs } = JSON.parse(json.out) as {
      runs: Array<{ kind: string; status: string; totals: { uploadedFiles: number } }>;
    };
    expect(runs.map((r) => r.totals.uploadedFiles).sort()).toEqual([0, 4]);
  });

  it('restore copies the backup into a new container and follows it to success', async () => {
    const { code, out, err } = await cli(['restore', jobId, '--container', 'cli-restored']);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toMatch(/^Restore run \S+ succeeded: 4 of 4 files/m);
    const container = BlobServiceClient.fromConnectionString(
      host.azurite!.connectionString,
    ).getContainerClient('cli-restored');
    const restored: Record<string, string> = {};
    for await (const blob of container.listBlobsFlat())
      restored[blob.name] = (await container.getBlobClient(blob.name).downloadToBuffer()).toString('utf8');
    expect(Object.keys(restored).sort()).toEqual([
      'images/pixel.svg',
      'readme.txt',
      'reports/2026-01.csv',
      'reports/2026-02.csv',
    ]);
    expect(restored['reports/2026-02.csv']).toBe('month,total\n2026-02,57\n');
  });

  it('a restore that fails its files exits 1 with the failures and one line on stderr', async () => {
    // fail-if-exists (the default) into the container just restored, where readme.txt has changed
    // since: identical files are skipped, the changed one must not be overwritten, so it fails.
    const container = BlobServiceClient.fromConnectionString(
      host.azurite!.connectionString,
    ).getContainerClient('cli-restored');
    await container.getBlockBlobClient('readme.txt').upload('changed locally\n', 16);
    const { code, out, err } = await cli(['restore', jobId, '--container', 'cli-restored']);
    expect(code).toBe(1);
    expect(out).toMatch(/^Restore run \S+ (failed|partially-failed)/m);
    expect(out).toMatch(/^ {2}failed: readme\.txt: .*already exists/m);
    expect(oneLine(err)).toMatch(/^Restore run \S+ ended (failed|partially-failed)/);

    // The same reasons afterwards, from the run id alone; showing it succeeds (exit 0).
    const runId = /^Restore run (\S+) /m.exec(out)![1]!;
    const shown = await cli(['runs', 'show', runId]);
    expect(shown.err).toBe('');
    expect(shown.code).toBe(0);
    expect(shown.out).toMatch(new RegExp(`^Job ${jobId}, restore \\(manual\\): created `, 'm'));
    expect(shown.out).toMatch(/^Restore run \S+ (failed|partially-failed): /m);
    expect(shown.out).toMatch(/^ {2}failed: readme\.txt: .*already exists/m);
    const json = await cli(['runs', 'show', runId, '--json']);
    expect(JSON.parse(json.out)).toMatchObject({ id: runId, failures: [{ file: 'readme.txt' }] });
  });

  it('a missing job is one line with the fix that keeps the --url, exit 3', async () => {
    const { code, err } = await cli(['run', 'no-such-job']);
    expect(code).toBe(3);
    expect(oneLine(err)).toBe(
      `Failed (HTTP 404): No job with id no-such-job. — list the jobs with \`npm run cli -- job list --url ${host.url}\``,
    );
  });

  it('a wrong or missing key is one line that does not echo the key', async () => {
    const wrong = await cli(['job', 'list'], { env: { AOB_FUNCTION_KEY: 'not-the-key-123456' } });
    expect(wrong.code).toBe(1);
    expect(oneLine(wrong.err)).toMatch(/^The function key was refused/);
    expect(wrong.err).not.toContain('not-the-key-123456');
    const none = await cli(['job', 'list'], { env: {} });
    expect(none.code).toBe(1);
    expect(oneLine(none.err)).toMatch(
      /^The function key is missing: pass --key <key> or set AOB_FUNCTION_KEY/,
    );
  });

  it('an unreachable app is one clear line, exit 4 (temporary: worth retrying)', async () => {
    const captured = capturedIO({ env: { AOB_FUNCTION_KEY: host.functionKey } });
    const code = await runCli(['status', '--url', 'http://localhost:1'], captured);
    expect(code).toBe(4);
    expect(oneLine(captured.err())).toMatch(/^cannot reach http:\/\/localhost:1: is `npm start` running\?/);
  });
});
