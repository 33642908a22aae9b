// Child processes of the benchmark: the Graph emulator (bench/graphChild.ts) and one-shot workers
// (bench/memoryWorker.ts). Children inherit NODE_EXTRA_CA_CERTS from `npm run bench`, so they trust
// the emulator's certificate as the benchmark does.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { CONTROL_KEY_HEADER } from '../emulators/shared/server';

const TSX = path.join(__dirname, '..', 'node_modules', 'tsx', 'dist', 'cli.mjs');

function tsx(script: string, env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [TSX, path.join(__dirname, script)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
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
  const child = tsx(script, env);
  const result = firstJsonLine<T>(child, script);
  const [value] = await Promise.all([
    result,
    new Promise<void>((resolve, reject) =>
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${script} exited ${code}`)))),
    ),
  ]);
  return value;
}
