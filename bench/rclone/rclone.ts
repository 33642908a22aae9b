// rclone as the bench runs it: found on PATH (or BENCH_RCLONE), given a config of its own (the
// Azurite container as an `azureblob` remote, the Graph emulator's drive as a `onedrive` remote with
// a ready access token, so it never signs in), reaching Graph through the TLS front, and timed with
// its CPU read by the shell that runs it.
import { execFile, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensureTls } from '../../emulators/shared/tls';
import type { TlsFront } from './front';

export const SOURCE_REMOTE = 'benchsrc';
export const DRIVE_REMOTE = 'benchdrive';

/** The rclone binary: BENCH_RCLONE if set (empty string: pretend there is none), else `rclone` on PATH. */
export function findRclone(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.BENCH_RCLONE !== undefined) return env.BENCH_RCLONE || undefined;
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, 'rclone');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

export async function rcloneVersion(binary: string): Promise<string> {
  const { stdout } = await promisify(execFile)(binary, ['version']);
  return stdout.split('\n')[0].trim();
}

export interface RcloneSetup {
  binary: string;
  env: NodeJS.ProcessEnv;
  dispose(): void;
}

/**
 * A throw-away config directory: rclone.conf with the two remotes and the CA bundle rclone trusts
 * (the front's CA for the Microsoft host names, the local CA for anything it reaches directly).
 */
export function setupRclone(options: {
  binary: string;
  blobUrl: string;
  driveId: string;
  accessToken: string;
  chunkMiB: number;
  front: TlsFront;
}): RcloneSetup {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-rclone-'));
  const config = path.join(dir, 'rclone.conf');
  // A token that expires far in the future: rclone's oauth client then never calls the token
  // endpoint, and its background renewer has nothing to do.
  const token = JSON.stringify({
    access_token: options.accessToken,
    token_type: 'Bearer',
    expiry: '2099-01-01T00:00:00Z',
  });
  writeFileSync(
    config,
    [
      `[${SOURCE_REMOTE}]`,
      'type = azureblob',
      // use_emulator takes Azurite's published account and key; endpoint says where it listens.
      'use_emulator = true',
      `endpoint = ${options.blobUrl}`,
      '',
      `[${DRIVE_REMOTE}]`,
      'type = onedrive',
      'region = global',
      `token = ${token}`,
      `drive_id = ${options.driveId}`,
      'drive_type = business',
      `chunk_size = ${options.chunkMiB}Mi`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const bundle = path.join(dir, 'ca.pem');
  writeFileSync(bundle, `${options.front.caCertPem}\n${ensureTls().caCertPem}`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    RCLONE_CONFIG: config,
    HTTPS_PROXY: options.front.proxyUrl,
    SSL_CERT_FILE: bundle,
  };
  // Whatever the caller's shell says about proxies must not send the Microsoft names elsewhere.
  for (const name of ['NO_PROXY', 'no_proxy', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY'])
    delete env[name];
  return { binary: options.binary, env, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface RcloneRun {
  seconds: number;
  userSeconds: number;
  systemSeconds: number;
}

/**
 * Runs rclone to its end. Its CPU comes from the shell that starts it: bash's `times` prints the
 * user and system time of its finished children, which the kernel accounts when it reaps them
 * (Node reaps its own children before JavaScript could read their /proc entry).
 */
export async function runRclone(setup: RcloneSetup, args: string[]): Promise<RcloneRun> {
  const script = '"$@"; status=$?; times >&2; exit $status';
  const started = process.hrtime.bigint();
  const child = spawn('bash', ['-c', script, 'bash', setup.binary, ...args], {
    env: setup.env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (part: Buffer) => (stderr += part.toString('utf8')));
  const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? 1)));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (code !== 0) throw new Error(`rclone ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`);
  // The last line of `times`: children's user and system time, as "1m2.345s 0m0.678s".
  const times = stderr.trim().split('\n').pop() ?? '';
  const parsed = [...times.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  if (parsed.length !== 2) throw new Error(`could not read rclone's CPU time from "${times}"`);
  return { seconds, userSeconds: parsed[0], systemSeconds: parsed[1] };
}
