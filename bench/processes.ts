// Child processes of the benchmark: the Graph emulator (bench/graphChild.ts), the three Microsoft
// emulators together (bench/emulatorsChild.ts), the local host as a worker (bench/hostChild.ts),
// Azurite with its requests counted, and one-shot workers (bench/memoryWorker.ts). Children inherit
// NODE_EXTRA_CA_CERTS from `npm run bench`, so they trust the emulators' certificate as the
// benchmark does. Also the CPU time of a process, read from /proc, for the figures that need it.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import {
  AZURITE_ACCOUNT,
  AZURITE_FLAGS,
  azuriteConnectionString,
  azuriteEntry,
  freePort,
  stopChild,
} from '../emulators/azurite';
import { CONTROL_KEY_HEADER } from '../emulators/shared/server';
import type { EmulatorsChildAnswer } from './emulatorsChild';

const ROOT = path.join(__dirname, '..');

/**
 * The Node.js flags infra/main.bicep gives the worker (`languageWorkers__node__arguments`, which
 * the Functions host puts on the worker's command line; test/infra checks the template against it).
 */
export const DEPLOYED_NODE_ARGUMENTS = '--max-semi-space-size=2';

/**
 * The environment infra/main.bicep gives the worker beyond the product's own settings (test/infra
 * checks the template against it): the bench's product processes run with it, as deployed, the
 * worker's Node.js flags through NODE_OPTIONS (they are spawned by node, not by the host).
 */
export const DEPLOYED_WORKER_ENV = { MALLOC_ARENA_MAX: '2', NODE_OPTIONS: DEPLOYED_NODE_ARGUMENTS } as const;

/**
 * `node --import tsx <script>`: the child's pid is the script's own process (the tsx CLI would put
 * a wrapper process in between, whose CPU figures are not the script's).
 */
function tsx(script: string, env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, script)], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/** Clock ticks per second of /proc/<pid>/stat's times: USER_HZ, 100 on every Linux build in use. */
const USER_HZ = 100;

/**
 * User + system CPU seconds a live process has used so far (Linux /proc/<pid>/stat, fields 14 and
 * 15), or undefined where /proc is not there. Read before and after a run; the difference is the run's.
 */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
  } catch {
    return undefined;
  }
}

/** Resolves with the first stdout line that parses as JSON. */
function firstJsonLine<T>(child: ChildProcess, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      try {
        resolve(JSON.parse(line) as T);
      } catch {
        // A log line; keep reading.
      }
    });
    child.once('exit', (code) => reject(new Error(`${what} exited with code ${code} before answering`)));
  });
}

export interface GraphProcess {
  baseUrl: string;
  apiBaseUrl: string;
  pid: number;
  /** API requests the emulator has served so far (its control routes not counted). */
  requests(): Promise<Array<{ method: string; path: string; status: number }>>;
  stop(): Promise<void>;
}

export async function startGraphProcess(): Promise<GraphProcess> {
  const child = tsx('graphChild.ts');
  const { baseUrl, controlKey } = await firstJsonLine<{ baseUrl: string; controlKey: string }>(
    child,
    'The Graph emulator',
  );
  return {
    baseUrl,
    apiBaseUrl: `${baseUrl}/v1.0`,
    pid: child.pid!,
    requests: async () => {
      const response = await fetch(`${baseUrl}/_emulator/requests`, {
        headers: { [CONTROL_KEY_HEADER]: controlKey },
      });
      const body = (await response.json()) as {
        requests: Array<{ method: string; path: string; status: number }>;
      };
      return body.requests.filter((r) => !r.path.startsWith('/_emulator/'));
    },
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Runs a worker script to completion and returns the JSON line it printed. */
export async function runWorker<T>(script: string, env: Record<string, string>): Promise<T> {
  const child = tsx(script, { ...DEPLOYED_WORKER_ENV, ...env });
  const result = firstJsonLine<T>(child, script);
  const [value] = await Promise.all([
    result,
    new Promise<void>((resolve, reject) =>
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${script} exited ${code}`)))),
    ),
  ]);
  return value;
}

export interface EmulatorsProcess extends EmulatorsChildAnswer {
  pid: number;
  /** Graph API requests served so far (control routes not counted). */
  graphRequests(): Promise<Array<{ method: string; path: string; status: number; hostname: string }>>;
  stop(): Promise<void>;
}

/** The identity, Graph and Key Vault emulators wired together in one child process. */
export async function startEmulatorsProcess(env: Record<string, string> = {}): Promise<EmulatorsProcess> {
  const child = tsx('emulatorsChild.ts', env);
  const answer = await firstJsonLine<EmulatorsChildAnswer>(child, 'The emulators');
  return {
    ...answer,
    pid: child.pid!,
    graphRequests: async () => {
      const response = await fetch(`${answer.graphBaseUrl}/_emulator/requests`, {
        headers: { [CONTROL_KEY_HEADER]: answer.controlKey },
      });
      const body = (await response.json()) as {
        requests: Array<{ method: string; path: string; status: number; hostname: string }>;
      };
      return body.requests.filter((r) => !r.path.startsWith('/_emulator/'));
    },
    stop: () => stopChild(child, 5000),
  };
}

export interface HostProcess {
  url: string;
  pid: number;
  /**
   * With BENCH_CPU_PROFILE set: the first call starts a CPU profile of the worker, the second
   * writes it and resolves with its path (see bench/hostChild.ts). Undefined without it.
   */
  toggleProfile?(): Promise<string | undefined>;
  stop(): Promise<void>;
}

/** The local host (src/local/host.ts) in a child process: the worker whose CPU the bench reads. */
export async function startHostProcess(env: Record<string, string>): Promise<HostProcess> {
  const child = tsx('hostChild.ts', { ...DEPLOYED_WORKER_ENV, ...env });
  const { url } = await firstJsonLine<{ url: string }>(child, 'The local host');
  const host: HostProcess = { url, pid: child.pid!, stop: () => stopChild(child, 5000) };
  if (process.env.BENCH_CPU_PROFILE) {
    const waiting: Array<(file: string | undefined) => void> = [];
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('{"profil')) return;
      const answer = JSON.parse(line) as { profiled?: string };
      waiting.shift()?.(answer.profiled);
    });
    host.toggleProfile = () =>
      new Promise((resolve) => {
        waiting.push(resolve);
        child.kill('SIGUSR2');
      });
  }
  return host;
}

export interface CountedAzurite {
  connectionString: string;
  blobUrl: string;
  pid: number;
  /** Requests Azurite has logged so far, by service (told apart by the request path). */
  requests(): { blob: number; queue: number; table: number; total: number };
  stop(): Promise<void>;
}

/** Which service an Azurite access-log line was for: its three services log alike, the paths differ. */
export function azuriteService(requestLine: string): 'blob' | 'queue' | 'table' | undefined {
  const match = /"[A-Z]+ (\S+) HTTP\/[\d.]+"/.exec(requestLine);
  if (!match) return undefined;
  const path = match[1];
  if (/\/messages(\?|\/|$)/.test(path)) return 'queue';
  if (/\/(Tables|\$batch)\b|\(/.test(path)) return 'table';
  return 'blob';
}

/**
 * Azurite (in memory, like emulators/azurite.ts starts it) with its access log read line by line,
 * so storage transactions are counted from the storage side: every request the clients made,
 * retries and batches as the service sees them. Logging costs Azurite some CPU; both sides of a
 * comparison pay it alike.
 */
export async function startCountingAzurite(): Promise<CountedAzurite> {
  const [blobPort, queuePort, tablePort] = [await freePort(), await freePort(), await freePort()];
  // Not --silent: the access log is what is counted.
  const child = spawn(
    process.execPath,
    [
      azuriteEntry(),
      ...AZURITE_FLAGS,
      '--blobPort',
      String(blobPort),
      '--queuePort',
      String(queuePort),
      '--tablePort',
      String(tablePort),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const counts = { blob: 0, queue: 0, table: 0, total: 0 };
  const storageLog = process.env.BENCH_STORAGE_LOG;
  let listening = 0;
  const ready = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.includes('successfully listening')) {
        listening += 1;
        if (listening === 3) resolve();
        return;
      }
      const service = azuriteService(line);
      if (!service) return;
      // BENCH_STORAGE_LOG=<file>: every request line with the time it was read, to see a run's chain.
      if (storageLog) appendFileSync(storageLog, `${new Date().toISOString()} ${line}\n`);
      counts[service] += 1;
      counts.total += 1;
    });
    child.once('exit', (code) => reject(new Error(`Azurite exited with code ${code} before listening`)));
  });
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  await ready;
  const url = (port: number): string => `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  return {
    connectionString: azuriteConnectionString(url(blobPort), url(queuePort), url(tablePort)),
    blobUrl: url(blobPort),
    pid: child.pid!,
    requests: () => ({ ...counts }),
    stop: async () => {
      process.removeListener('exit', killOnExit);
      await stopChild(child, 5000);
    },
  };
}
