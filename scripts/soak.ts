// `npm run soak`: a fault soak, proving crashes and faults lose or duplicate nothing. Azurite and the three Microsoft emulators run in THIS
// process (so their state survives), the local host runs as a CHILD process that is SIGKILLed at
// random points and restarted. A source container is seeded with files of mixed sizes, a connection
// is authorized and a job created through the host's HTTP API, and the job runs while about 10% of
// Graph requests fail (429 + Retry-After, 503, 500, resets before and during the body), some chunk
// PUTs get 416, upload sessions are expired under the uploader's feet, the token endpoint has
// outages after every restart and Key Vault answers 429 now and then. At the end every file must be
// byte-identical in the emulated drive (content and quickXorHash), with no duplicates, every file
// accounted for, and the run record must agree.
//
// The same engine runs a short version in `npm test` (test/soak/shortSoak.test.ts).
//
//   npm run soak                          full soak (1,000 files, 0 B to 200 MiB)
//   npm run soak -- --files 200 --kills 3 a smaller one
import { spawn, type ChildProcess } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import { appendFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { freePort, startAzurite, type AzuriteInstance } from '../emulators/azurite';
import { startEmulators, type Emulators } from '../emulators';
import { seeded } from '../emulators/shared/faults';
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET } from '../emulators/identity';
import { APP_FOLDER_NAME, decodeDrivePath } from '../src/graph/names';
import { QuickXorHash } from '../src/graph/quickXorHash';
import { seedClientSecret } from '../src/local/seed';
import { ResendTracker, type ResendReport } from './soakResends';

const MiB = 1024 * 1024;
const KiB = 1024;
const FINAL = new Set(['succeeded', 'partially-failed', 'failed', 'timed-out', 'cancelled']);
const ROOT_FOLDER = 'Soak';
const JOB_FOLDER = 'run';

export interface SoakOptions {
  files: number;
  /** Sizes in bytes, one per file; default: the distribution of `sizeDistribution(files)`. */
  sizes?: number[];
  /** Host kills during the run (each followed by a restart). */
  kills: number;
  /** A kill comes this long (random in [min, max] ms) after the host became ready. */
  killAfterMs: [number, number];
  /**
   * Or sooner, once the host has put this many chunks (random in [min, max]) since it became
   * ready: on a fast machine a short run can end before any time-based kill is due.
   */
  killAfterChunks?: [number, number];
  /** Fraction of Graph requests that get a random fault. */
  faultRate: number;
  /** Chance that a chunk PUT is answered 416 (realign from the session status). */
  rangeConflictRate: number;
  /** Chance, at each status poll, that every open upload session is expired. */
  sessionExpiryRate: number;
  /** Token endpoint requests failing after each restart (an outage as the host comes back). */
  tokenOutageRequests: number;
  /** Fraction of Key Vault requests answered 429 with Retry-After. */
  keyVaultThrottleRate: number;
  chunkBytes: number;
  invocationBudgetSeconds: number;
  seed: number;
  /** Give up (and report) after this long. */
  timeoutMs: number;
  progress?: (line: string) => void;
}

export interface SoakReport {
  machine: string;
  date: string;
  files: number;
  bytes: number;
  largestBytes: number;
  wallSeconds: number;
  runSeconds: number;
  kills: number;
  sessionExpiries: number;
  faults: Record<string, number>;
  faultsTotal: number;
  graphRequests: number;
  retries: Record<string, number>;
  redeliveries: number;
  poisoned: number;
  bytesOffered: number;
  bytesResent: number;
  /** The job's chunk size: what "at most one chunk resent per kill" is measured against. */
  chunkBytes: number;
  /** Resent bytes by cause, and per kill (./soakResends.ts). */
  resends: ResendReport;
  run: { status: string; totals: Record<string, number>; failures: Array<{ file: string; reason?: string }> };
  verifiedFiles: number;
  problems: string[];
}

/**
 * Mostly small with a few large, so 1,000 files fit a 2-core machine in minutes: about 2% empty,
 * 85% up to 256 KiB (log-uniform), 9% from 256 KiB to just over 4 MiB (the simple/session boundary
 * exactly, 4 MiB and 4 MiB + 1 among them), 3.5% from 4 to 32 MiB, and a handful of 64 to 200 MiB.
 */
export function sizeDistribution(files: number, seed: number, maxBytes = 200 * MiB): number[] {
  const random = seeded(seed ^ 0x5eed);
  const logUniform = (lo: number, hi: number): number =>
    Math.round(Math.exp(Math.log(lo) + random() * (Math.log(hi) - Math.log(lo))));
  const fixed = [0, 1, 4 * MiB, 4 * MiB + 1, 327_680, 327_680 + 1];
  const huge = [64 * MiB, 100 * MiB, 128 * MiB, 160 * MiB, 200 * MiB].filter((s) => s <= maxBytes);
  const hugeCount = files >= 500 ? huge.length : 0;
  const sizes: number[] = fixed.slice(0, Math.min(fixed.length, files));
  sizes.push(...huge.slice(0, Math.max(0, Math.min(hugeCount, files - sizes.length))));
  while (sizes.length < files) {
    const r = random();
    if (r < 0.02) sizes.push(0);
    else if (r < 0.87) sizes.push(logUniform(1, 256 * KiB));
    else if (r < 0.965) sizes.push(logUniform(256 * KiB, 4 * MiB + 1));
    else sizes.push(Math.min(maxBytes, logUniform(4 * MiB, 32 * MiB)));
  }
  return sizes;
}

/**
 * Names with the hard cases sprinkled in: OneDrive-forbidden characters, reserved names, Unicode,
 * depth. No backslash: Blob Storage itself turns a backslash into a slash, so it never reaches us.
 */
function blobNames(count: number, random: () => number): string[] {
  const special = [
    'odd/a:b*c?d.txt',
    'odd/quote"and|pipe<>.bin',
    'odd/CON',
    'odd/nul.txt',
    'odd/desktop.ini',
    'odd/~$locked.docx',
    'odd/ leading space.txt',
    'odd/trailing dot.',
    'odd/trailing space ',
    'odd/_vti_cnf/file.txt',
    'unicode/caf\u00e9-nfc.txt',
    'unicode/cafe\u0301-nfd.txt',
    'unicode/\u65e5\u672c\u8a9e/\u30d5\u30a1\u30a4\u30eb.txt',
    'unicode/emoji-\u{1f4be}.bin',
    'deep/a/b/c/d/e/f/g/h/file.bin',
    'percent%20and#hash&amp.txt',
  ];
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    if (i < special.length && count >= 40) names.push(special[i]);
    else {
      const folder = `f${Math.floor(random() * 12)}`;
      names.push(`${folder}/file-${String(i).padStart(5, '0')}.bin`);
    }
  }
  return names;
}

/** Deterministic bytes for a file (AES-CTR keystream): nothing held in memory after seeding. */
function contentOf(seed: number, index: number, size: number): Buffer {
  const key = createHash('sha256').update(`soak-${seed}-${index}`).digest();
  const cipher = createCipheriv('aes-128-ctr', key.subarray(0, 16), key.subarray(16, 32));
  return cipher.update(Buffer.alloc(size));
}

interface Expected {
  name: string;
  size: number;
  sha256: string;
  quickXorHash: string;
}

async function seedSource(
  container: ContainerClient,
  names: string[],
  sizes: number[],
  seed: number,
): Promise<Expected[]> {
  const expected: Expected[] = new Array(names.length);
  let next = 0;
  // A few uploads at a time: large buffers are built and dropped one by one.
  const worker = async (): Promise<void> => {
    for (let i = next++; i < names.length; i = next++) {
      const data = contentOf(seed, i, sizes[i]);
      const qxh = new QuickXorHash();
      qxh.update(data);
      expected[i] = {
        name: names[i],
        size: data.length,
        sha256: createHash('sha256').update(data).digest('hex'),
        quickXorHash: qxh.digest(),
      };
      await container.getBlockBlobClient(names[i]).uploadData(data, { concurrency: 4 });
    }
  };
  await Promise.all(Array.from({ length: 6 }, worker));
  return expected;
}

/** The local host as a killable child process (its own process group: tsx runs node under it). */
class HostProcess {
  child?: ChildProcess;
  readonly lines: string[] = [];

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly onLine: (line: string) => void,
  ) {}

  async start(): Promise<void> {
    const tsx = path.resolve(__dirname, '..', 'node_modules', '.bin', 'tsx');
    const entry = path.resolve(__dirname, '..', 'test', 'soak', 'hostProcess.ts');
    const child = spawn(tsx, [entry], {
      env: this.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let pending = '';
    const ready = new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        pending += chunk.toString('utf8');
        let nl: number;
        while ((nl = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          this.onLine(line);
          if (line.startsWith('SOAK-HOST-READY')) resolve();
          if (line.startsWith('SOAK-HOST-FAILED')) reject(new Error(line));
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code, signal) =>
        reject(new Error(`host exited before it was ready (${code ?? signal})`)),
      );
    });
    await ready;
  }

  /** SIGKILL to the whole group: no stop handler runs, exactly like a crashed worker. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
    await exited;
  }
}

interface HostApi {
  url: string;
  key: string;
}

async function api<T>(
  host: HostApi,
  method: string,
  route: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${host.url}/api/${route}`, {
    method,
    headers: { 'x-functions-key': host.key, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    redirect: 'manual',
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // HTML pages (the callback) stay text.
  }
  return { status: response.status, body: parsed as T };
}

function expect(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/** Authorizes a connection as a browser would: authorize → emulator sign-in (auto consent) → callback. */
async function authorizeConnection(host: HostApi): Promise<{ id: string; driveId: string }> {
  const created = await api<{ id: string }>(host, 'POST', 'connections', {
    name: 'Soak',
    tenant: 'consumers',
    rootFolder: `/${ROOT_FOLDER}`,
  });
  expect(created.status === 201, `create connection: ${created.status} ${JSON.stringify(created.body)}`);
  const id = created.body.id;
  const start = await fetch(`${host.url}/api/connections/${id}/authorize`, {
    headers: { 'x-functions-key': host.key },
    redirect: 'manual',
  });
  expect(start.status === 302, `authorize: ${start.status}`);
  const signIn = await fetch(start.headers.get('location')!, { redirect: 'manual' });
  expect(signIn.status === 302, `sign-in: ${signIn.status}`);
  const callback = await fetch(signIn.headers.get('location')!, { redirect: 'manual' });
  const page = await callback.text();
  expect(callback.status === 200, `callback: ${callback.status} ${page.slice(0, 300)}`);
  const connection = await api<{ driveId?: string; status: string }>(host, 'GET', `connections/${id}`);
  expect(connection.body.driveId, `connection has no drive: ${JSON.stringify(connection.body)}`);
  return { id, driveId: connection.body.driveId };
}

const RETRY_EVENTS = [
  'graph.retry',
  'graph.token.retry',
  'token.retry',
  'upload.chunk.retry',
  'upload.status.retry',
  'upload.file.retry',
  'upload.session.gone',
  'upload.range.conflict',
  'upload.realign',
  'upload.rewind',
  'upload.continuation',
  'upload.continuation.refused',
  'queue.poisoned',
];

/** Host log events that tell a file's session story (the lines themselves never hold a URL). */
const STORY_EVENTS =
  /^upload\.(session|checkpoint|continuation|realign|rewind|range|file\.(retry|continues))/;

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const say = options.progress ?? (() => undefined);
  const began = Date.now();
  const random = seeded(options.seed);
  const sizes = options.sizes ?? sizeDistribution(options.files, options.seed);
  const names = blobNames(sizes.length, random);
  const problems: string[] = [];
  const retries: Record<string, number> = Object.fromEntries(RETRY_EVENTS.map((e) => [e, 0]));
  let redeliveries = 0;

  let azurite: AzuriteInstance | undefined;
  let emulators: Emulators | undefined;
  let host: HostProcess | undefined;
  try {
    [azurite, emulators] = await Promise.all([startAzurite(), startEmulators()]);
    const { identity, graph, keyVault } = emulators;

    // What the Graph emulator is offered in PUT bodies (simple uploads and chunks, resent ones
    // included), counted on the server's own socket layer so nothing in the product is trusted.
    let bytesOffered = 0;
    const graphHttps = (graph.server as unknown as { server?: Server }).server;
    graphHttps?.prependListener('request', (req: IncomingMessage) => {
      if (req.method === 'PUT') bytesOffered += Number(req.headers['content-length'] ?? 0);
    });
    const resends = new ResendTracker(
      () => graph.sessions(),
      (drivePath) => drivePath.split('/').includes(APP_FOLDER_NAME),
    );
    if (graphHttps) resends.attach(graphHttps);

    const port = await freePort();
    const url = `http://localhost:${port}`;
    const functionKey = `soak-${createHash('sha256').update(String(options.seed)).digest('hex').slice(0, 24)}`;
    // The vault emulator accepts only the token startEmulators made for it.
    const kvToken = emulators.keyVaultToken;
    const app = identity.directory.apps.get(DEFAULT_CLIENT_ID)!;
    app.redirectUris.push(`${url}/api/auth/callback`);
    await seedClientSecret({
      vaultUrl: keyVault.vaultUrl,
      token: kvToken,
      name: 'graph-client-secret',
      value: DEFAULT_CLIENT_SECRET,
      expiresOn: new Date(Date.now() + 365 * 86_400_000),
    });

    const containerName = `soak${options.seed.toString(16)}`.slice(0, 40);
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
      containerName,
    );
    await container.create();
    say(`seeding ${sizes.length} files, ${(sizes.reduce((a, b) => a + b, 0) / MiB).toFixed(1)} MiB`);
    const expected = await seedSource(container, names, sizes, options.seed);
    const totalBytes = expected.reduce((a, e) => a + e.size, 0);

    const env: NodeJS.ProcessEnv = {
      ...process.env,
      RUN_MODE: 'local',
      AzureWebJobsStorage: azurite.connectionString,
      SOURCE_CONNECTION_STRING: azurite.connectionString,
      KEY_VAULT_URL: keyVault.vaultUrl,
      KEY_VAULT_TOKEN_OVERRIDE: kvToken,
      LOGIN_ENDPOINT_OVERRIDE: identity.baseUrl,
      GRAPH_ENDPOINT_OVERRIDE: graph.baseUrl,
      GRAPH_CLIENT_ID: DEFAULT_CLIENT_ID,
      PUBLIC_BASE_URL: url,
      LOCAL_FUNCTION_KEY: functionKey,
      LOCAL_HOST_PORT: String(port),
      INVOCATION_BUDGET_SECONDS: String(options.invocationBudgetSeconds),
      // The schedule timer must not start runs of its own; the soak starts one with run-now.
      SCHEDULER_CRON: '0 */1 * * * *',
    };
    const hostApi: HostApi = { url, key: functionKey };
    // SOAK_LOG_FILE: every line the host writes, for looking into a failed soak afterwards.
    const logFile = process.env.SOAK_LOG_FILE;
    host = new HostProcess(env, (line) => {
      if (logFile) appendFileSync(logFile, `${line}\n`);
      if (!line.startsWith('{')) return;
      try {
        const record = JSON.parse(line) as { event?: string; attempt?: number; file?: string };
        if (record.event && record.event in retries) retries[record.event] += 1;
        // What the host said about each large file's session, for explaining a resend after a kill.
        if (record.file && record.event && STORY_EVENTS.test(record.event)) {
          const {
            time: _t,
            level: _l,
            component: _c,
            area: _a,
            runId: _r,
            jobId: _j,
            file,
            event,
            files: _f,
            ...rest
          } = record as Record<string, unknown>;
          resends.note(
            `/${ROOT_FOLDER}/${JOB_FOLDER}/${String(file)}`,
            `host ${String(event)} ${JSON.stringify(rest)}`,
          );
        }
        if (record.event === 'upload.file.done' && (record.attempt ?? 1) > 1) redeliveries += 1;
      } catch {
        // Not a log line.
      }
    });
    await host.start();
    say(`host up at ${url}`);

    const connection = await authorizeConnection(hostApi);
    const job = await api<{ id: string }>(hostApi, 'POST', 'jobs', {
      name: 'Soak',
      connectionId: connection.id,
      source: { container: containerName },
      destinationFolder: JOB_FOLDER,
      schedule: '0 0 0 1 1 *',
      chunkSizeBytes: options.chunkBytes,
    });
    expect(job.status === 201, `create job: ${job.status} ${JSON.stringify(job.body)}`);

    // Faults from here on: sign-in and setup are covered by their own tests; the soak is about the run.
    graph.server.faults.random({
      rate: options.faultRate,
      seed: options.seed,
      actions: [
        { kind: 'status', status: 429, retryAfterSeconds: 1, code: 'activityLimitReached' },
        { kind: 'status', status: 503, retryAfterSeconds: 1, code: 'serviceNotAvailable' },
        { kind: 'status', status: 500, code: 'generalException' },
        { kind: 'reset-request' },
        { kind: 'reset-response', afterBytes: 16 },
      ],
    });
    graph.server.faults.add({
      kind: 'status',
      status: 416,
      code: 'invalidRange',
      method: 'PUT',
      host: '127.0.0.1',
      count: Infinity,
      probability: options.rangeConflictRate,
    });
    keyVault.server.faults.random({
      rate: options.keyVaultThrottleRate,
      seed: options.seed + 1,
      actions: [{ kind: 'status', status: 429, retryAfterSeconds: 1, code: 'Throttled' }],
    });

    const runStart = Date.now();
    const started = await api<{ id: string }>(hostApi, 'POST', `jobs/${job.body.id}/run`);
    expect(started.status === 202, `run now: ${started.status} ${JSON.stringify(started.body)}`);
    const runId = started.body.id;
    say(`run ${runId} started`);

    let kills = 0;
    let sessionExpiries = 0;
    let nextKillAt = 0;
    let killAtChunk = Infinity;
    const armKill = (): void => {
      nextKillAt = Date.now() + span(options.killAfterMs, random);
      killAtChunk = options.killAfterChunks
        ? resends.chunkPuts() + Math.round(span(options.killAfterChunks, random))
        : Infinity;
    };
    // A kill is due once a chunk is on the wire (so it lands mid-file, where a resume can be
    // measured) and its time or chunk count has come, or regardless a while later on a job of
    // small files.
    const killDue = (): boolean =>
      kills < options.kills &&
      ((resends.chunkInFlight() && (Date.now() >= nextKillAt || resends.chunkPuts() >= killAtChunk)) ||
        Date.now() >= nextKillAt + 2 * options.killAfterMs[1]);
    armKill();
    let run: SoakReport['run'] | undefined;
    for (;;) {
      if (Date.now() - began > options.timeoutMs) {
        problems.push(`timed out after ${options.timeoutMs} ms (run ${run?.status ?? 'unknown'})`);
        break;
      }
      const polled = await api<{
        status: string;
        totals: Record<string, number>;
        failures: SoakReport['run']['failures'];
      }>(hostApi, 'GET', `runs/${runId}`).catch(() => undefined);
      if (polled?.status === 200) {
        run = { status: polled.body.status, totals: polled.body.totals, failures: polled.body.failures };
        if (FINAL.has(run.status)) break;
      }
      if (random() < options.sessionExpiryRate && graph.sessions().length > 0) {
        resends.sessionsExpired();
        graph.expireAllSessions();
        sessionExpiries += 1;
      }
      if (killDue()) {
        resends.killStarted(kills + 1);
        await host.kill();
        kills += 1;
        // The host comes back into a token endpoint outage: its first refreshes fail.
        identity.server.faults.add({
          kind: 'status',
          status: 503,
          path: 'oauth2/v2.0/token$',
          retryAfterSeconds: 1,
          count: options.tokenOutageRequests,
        });
        say(`kill ${kills}: host SIGKILLed (${run?.totals?.uploadedFiles ?? 0} files uploaded so far)`);
        resends.hostRestarted();
        await host.start();
        armKill();
      }
      // Poll the run record once a second, and whether a kill has come due every 20 ms and as
      // each chunk arrives (so a chunk-count kill lands while that chunk is on the wire): the host
      // does not announce its progress to the soak.
      const waitUntil = Date.now() + 1000;
      const killsLeft = kills < options.kills;
      while (Date.now() < waitUntil && !killDue())
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, killsLeft ? 20 : waitUntil - Date.now());
          const off = killsLeft ? resends.onChunkPut(done) : () => undefined;
          function done(): void {
            clearTimeout(timer);
            off();
            resolve();
          }
        });
    }
    const runSeconds = (Date.now() - runStart) / 1000;
    graph.server.faults.clear();
    keyVault.server.faults.clear();
    identity.server.faults.clear();

    // ---- verification ----
    const byName = new Map(expected.map((e) => [e.name, e]));
    const prefix = `${ROOT_FOLDER}/${JOB_FOLDER}/`;
    const seen = new Set<string>();
    let verifiedFiles = 0;
    for (const file of graph.listFiles(connection.driveId)) {
      const drivePath = file.path.replace(/^\/+/, '');
      if (!drivePath.startsWith(prefix)) continue;
      // The app's own folder holds the run index, not a backed-up blob.
      if (drivePath.slice(prefix.length).split('/')[0] === APP_FOLDER_NAME) continue;
      const blobName = decodeDrivePath(drivePath.slice(prefix.length));
      const want = byName.get(blobName);
      if (!want) {
        problems.push(`unexpected file in the drive (a duplicate?): ${drivePath}`);
        continue;
      }
      if (seen.has(blobName)) problems.push(`two drive files decode to ${blobName}`);
      seen.add(blobName);
      const hashes = (file.item.file as { hashes?: { quickXorHash?: string } } | undefined)?.hashes;
      const sha = createHash('sha256').update(file.content).digest('hex');
      if (file.content.length !== want.size || sha !== want.sha256)
        problems.push(`content differs: ${blobName} (${file.content.length} of ${want.size} bytes)`);
      else if (hashes?.quickXorHash !== want.quickXorHash)
        problems.push(`quickXorHash differs: ${blobName} (${hashes?.quickXorHash} vs ${want.quickXorHash})`);
      else verifiedFiles += 1;
    }
    const failed = new Map((run?.failures ?? []).map((f) => [f.file, f]));
    for (const e of expected) {
      if (seen.has(e.name)) continue;
      const failure = failed.get(e.name);
      if (!failure) problems.push(`missing and not reported failed: ${e.name}`);
      else if (!failure.reason) problems.push(`failed without a reason: ${e.name}`);
    }
    if (!run) problems.push('the run record was never read');
    else {
      const t = run.totals ?? {};
      if (!FINAL.has(run.status)) problems.push(`run not finished: ${run.status}`);
      if (t.plannedFiles !== expected.length)
        problems.push(`run planned ${t.plannedFiles} files, the source has ${expected.length}`);
      if ((t.uploadedFiles ?? 0) + (t.skippedFiles ?? 0) !== verifiedFiles)
        problems.push(`run says ${t.uploadedFiles} uploaded, the drive has ${verifiedFiles} verified files`);
      if ((t.failedFiles ?? 0) !== run.failures.length)
        problems.push(`run says ${t.failedFiles} failed but lists ${run.failures.length} failures`);
      if ((t.uploadedFiles ?? 0) + (t.skippedFiles ?? 0) + (t.failedFiles ?? 0) !== expected.length)
        problems.push(
          `run accounts for ${(t.uploadedFiles ?? 0) + (t.failedFiles ?? 0)} of ${expected.length} files`,
        );
      const expectedStatus = run.failures.length === 0 ? 'succeeded' : 'partially-failed';
      if (run.status !== expectedStatus)
        problems.push(`run status ${run.status}, expected ${expectedStatus}`);
      // The soak's faults are all recoverable: a failed file means the engine gave up too early.
      for (const f of run.failures) problems.push(`file failed: ${f.file}: ${f.reason}`);
    }

    const faults: Record<string, number> = {};
    for (const [label, server] of [
      ['graph', graph.server],
      ['token endpoint', identity.server],
      ['key vault', keyVault.server],
    ] as const)
      for (const [kind, n] of Object.entries(server.faults.injected)) faults[`${label}: ${kind}`] = n;
    faults['graph: session expired'] = sessionExpiries;

    return {
      machine: `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, Node ${process.version}`,
      date: new Date().toISOString(),
      files: expected.length,
      bytes: totalBytes,
      largestBytes: Math.max(...expected.map((e) => e.size)),
      wallSeconds: (Date.now() - began) / 1000,
      runSeconds,
      kills,
      sessionExpiries,
      faults,
      faultsTotal: Object.values(faults).reduce((a, b) => a + b, 0),
      graphRequests: graph.server.requests.length,
      retries,
      redeliveries,
      poisoned: retries['queue.poisoned'],
      bytesOffered,
      bytesResent: Math.max(0, bytesOffered - totalBytes),
      chunkBytes: options.chunkBytes,
      resends: resends.report(options.chunkBytes),
      run: run ?? { status: 'unknown', totals: {}, failures: [] },
      verifiedFiles,
      problems,
    };
  } finally {
    await host?.kill();
    await Promise.allSettled([emulators?.stop(), azurite?.stop()]);
  }
}

function span([min, max]: [number, number], random: () => number): number {
  return min + random() * (max - min);
}

export const FULL_SOAK: SoakOptions = {
  files: 1000,
  kills: 5,
  killAfterMs: [8_000, 25_000],
  faultRate: 0.1,
  rangeConflictRate: 0.03,
  sessionExpiryRate: 0.05,
  tokenOutageRequests: 2,
  keyVaultThrottleRate: 0.1,
  chunkBytes: 327_680 * 8,
  invocationBudgetSeconds: 20,
  seed: 9,
  timeoutMs: 60 * 60_000,
};

/** The short soak of `npm test` (test/soak/shortSoak.test.ts): 60 files from 0 B to 12 MiB, two kills. */
export function shortSoakOptions(): SoakOptions {
  // The boundary sizes, mostly small ones, and a few session uploads of several chunks up to 12 MiB.
  const sizes = sizeDistribution(52, 60, 12 * MiB);
  sizes.push(5 * MiB, 6 * MiB + 1, 8 * MiB, 10 * MiB - 1, 11 * MiB, 12 * MiB, 12 * MiB - 7, 7 * MiB);
  return {
    files: 60,
    sizes,
    kills: 2,
    // Early: with small files batched the run is short, and both kills must land before its end;
    // the chunk count brings them on time on a machine that finishes the run in a few seconds.
    killAfterMs: [1_500, 3_000],
    killAfterChunks: [4, 12],
    faultRate: 0.1,
    rangeConflictRate: 0.05,
    sessionExpiryRate: 0.1,
    tokenOutageRequests: 2,
    keyVaultThrottleRate: 0.1,
    // 1.25 MiB chunks: a 12 MiB file is ten chunks, so kills and faults land mid-session.
    chunkBytes: 327_680 * 4,
    invocationBudgetSeconds: 5,
    seed: 60,
    timeoutMs: 100_000,
  };
}

export function formatReport(report: SoakReport): string {
  const mib = (n: number): string => `${(n / MiB).toFixed(1)} MiB`;
  const rows: Array<[string, string]> = [
    ['Files', `${report.files} (${report.verifiedFiles} verified byte-identical)`],
    ['Bytes', `${mib(report.bytes)} (largest ${mib(report.largestBytes)})`],
    ['Run status', report.run.status],
    ['Host kills (SIGKILL) and restarts', String(report.kills)],
    [
      'Faults injected',
      `${report.faultsTotal} (${Object.entries(report.faults)
        .map(([k, v]) => `${k}: ${v}`)
        .join('; ')})`,
    ],
    ['Graph requests', String(report.graphRequests)],
    [
      'Retries and recoveries (log events)',
      Object.entries(report.retries)
        .filter(([, v]) => v)
        .map(([k, v]) => `${k}: ${v}`)
        .join('; '),
    ],
    ['Files finished on a redelivery', String(report.redeliveries)],
    ['Poison messages', String(report.poisoned)],
    ['Bytes offered to Graph (PUT bodies)', mib(report.bytesOffered)],
    [
      'Bytes re-sent',
      `${mib(report.bytesResent)} (${((100 * report.bytesResent) / Math.max(1, report.bytes)).toFixed(1)}%)`,
    ],
    [
      'Bytes re-sent, by cause',
      Object.entries(report.resends.byCause)
        .map(([k, v]) => `${k}: ${mib(v)}`)
        .join('; ') || 'none',
    ],
    [
      'Bytes re-sent per kill (chunk size ' + mib(report.chunkBytes) + ')',
      report.resends.kills
        .map(
          (k) =>
            `kill ${k.kill}: ${k.filesInterrupted} files interrupted, chunks ${mib(k.sessionBytes)} (at most ${mib(k.maxSessionBytesPerFile)} for one file), simple uploads ${mib(k.simpleBytes)}, resumed after ${k.firstResumeMs === undefined ? 'n/a' : `${(k.firstResumeMs / 1000).toFixed(1)} s`}`,
        )
        .join('; ') || 'no kills',
    ],
    [
      'Files resending more than one chunk after a kill (what their sessions did)',
      report.resends.kills
        .flatMap((k) =>
          (k.filesOverChunk?.files ?? []).map(
            (f) => `kill ${k.kill}: ${f.path} resent ${mib(f.bytes)}: ${f.story.join(' → ')}`,
          ),
        )
        .join('; ') || 'none',
    ],
    ['Run time / wall time', `${report.runSeconds.toFixed(0)} s / ${report.wallSeconds.toFixed(0)} s`],
    ['Problems', report.problems.length ? report.problems.join('; ') : 'none'],
  ];
  return [
    `Machine: ${report.machine}; date ${report.date}`,
    '',
    '| figure | value |',
    '|---|---|',
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
  ].join('\n');
}

function parseArgs(argv: string[]): SoakOptions {
  // --short: the short soak's files and settings (no time limit beyond 15 minutes), for a measurement.
  const short = argv[0] === '--short';
  const options = short ? { ...shortSoakOptions(), timeoutMs: 15 * 60_000 } : { ...FULL_SOAK };
  if (short) argv = argv.slice(1);
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], Number(argv[i + 1])];
    if (!Number.isFinite(value)) throw new Error(`${flag} needs a number`);
    if (flag === '--files') options.files = value;
    else if (flag === '--kills') options.kills = value;
    else if (flag === '--seed') options.seed = value;
    else if (flag === '--fault-rate') {
      // Every kind of injected fault at once: Graph, 416s (half as often) and Key Vault.
      options.faultRate = value;
      options.rangeConflictRate = value / 2;
      options.keyVaultThrottleRate = value;
    } else if (flag === '--expiry-rate') options.sessionExpiryRate = value;
    else
      throw new Error(
        `unknown option ${flag} (--short first, then --files, --kills, --seed, --fault-rate, --expiry-rate)`,
      );
  }
  return options;
}

if (require.main === module) {
  const options = parseArgs(process.argv.slice(2));
  runSoak({ ...options, progress: (line) => console.log(`[soak] ${line}`) })
    .then((report) => {
      console.log(formatReport(report));
      console.log(JSON.stringify(report, null, 2));
      process.exitCode = report.problems.length === 0 ? 0 : 1;
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
