// Crash resume in the bench: the soak's engine (scripts/soak.ts) with its kills alone. The local host
// runs as a child process and is SIGKILLed while a chunk PUT is on the wire, then restarted; the
// Graph emulator's own socket layer counts what each kill made the product send again
// (scripts/soakResends.ts), so nothing the product reports is trusted. No faults and no session
// expiries are injected, so every resend is a kill's doing, and a resend charged to anything else is
// shown too. The job is files of several chunks at the product's default chunk size, so a kill
// lands mid-file and what a resume costs shows in chunks.
import { runSoak, shortSoakOptions, type SoakReport } from '../scripts/soak';
import type { KillResends } from '../scripts/soakResends';
import { MiB } from './pipeline';

/** One kill's resends as the soak's tracker counted them, without the stories of files over a chunk. */
export type CrashKill = Omit<KillResends, 'filesOverChunk'>;

export interface CrashResult {
  files: number;
  bytes: number;
  chunkBytes: number;
  kills: CrashKill[];
  bytesResent: number;
  /** Resent bytes not charged to any kill (there should be none: nothing else is injected). */
  resentOtherwise: number;
  runStatus: string;
  verifiedFiles: number;
  /** The queue's visibility timeout in the soak's host: the wait before a killed task is redelivered. */
  leaseSeconds: number;
  wallSeconds: number;
  problems: string[];
}

/** The soak's host lets a message go this long before redelivering it (test/soak/hostProcess.ts). */
const SOAK_LEASE_SECONDS = Number(process.env.SOAK_LEASE_SECONDS ?? 8);

/** 24 files of 20 to 50 MiB (two to five chunks) and 20 small ones, 10 MiB chunks, five kills. */
export function crashJobSizes(): number[] {
  const sizes: number[] = [];
  for (let i = 0; i < 24; i += 1) sizes.push((20 + (i % 7) * 5) * MiB + i * 4099);
  for (let i = 0; i < 20; i += 1) sizes.push(1000 + i * 37_000);
  return sizes;
}

export function crashResultOf(report: SoakReport): CrashResult {
  const kills = report.resends.kills.map(({ filesOverChunk: _stories, ...kill }): CrashKill => kill);
  const resentOtherwise = Object.entries(report.resends.byCause)
    .filter(([cause]) => !/^kill \d+$/.test(cause))
    .reduce((sum, [, bytes]) => sum + bytes, 0);
  return {
    files: report.files,
    bytes: report.bytes,
    chunkBytes: report.chunkBytes,
    kills,
    bytesResent: report.bytesResent,
    resentOtherwise,
    runStatus: report.run.status,
    verifiedFiles: report.verifiedFiles,
    leaseSeconds: SOAK_LEASE_SECONDS,
    wallSeconds: report.wallSeconds,
    problems: report.problems,
  };
}

export async function measureCrashResume(progress?: (line: string) => void): Promise<CrashResult> {
  const sizes = crashJobSizes();
  const report = await runSoak({
    ...shortSoakOptions(),
    files: sizes.length,
    sizes,
    kills: 5,
    // Soon after each restart, so all five land while files are still uploading.
    killAfterMs: [1_000, 2_500],
    faultRate: 0,
    rangeConflictRate: 0,
    sessionExpiryRate: 0,
    keyVaultThrottleRate: 0,
    tokenOutageRequests: 0,
    chunkBytes: 10 * MiB,
    timeoutMs: 10 * 60_000,
    progress,
  });
  const result = crashResultOf(report);
  // A resume that loses or corrupts a file is not a figure to report: the bench stops.
  if (result.problems.length || result.verifiedFiles !== result.files)
    throw new Error(`crash resume: ${result.problems.join('; ') || 'not every file verified'}`);
  return result;
}
