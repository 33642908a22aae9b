// (1) Upload throughput: the upload engine (read-ahead, quickXorHash while streaming, retries ready,
// verification of the returned item) against a plain client that only creates a session and PUTs
// the same chunks one after another. Same bytes, same chunk size, same emulator, same run,
// alternating so neither side gets a warmer emulator. The source is a buffer in memory for both, so
// the figure is the engine's own cost; Azurite's read speed shows in the memory benchmark instead.
import { sendOverWire } from '../src/graph/wire';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import {
  encryptedSize,
  encryptingRangeReader,
  keysFromBytes,
  newFileNonce,
  sealHere,
  sodiumReady,
} from '../src/crypt';
import { DEFAULT_RETRY_POLICY, quickXorAlgorithm, systemClock, uploadFile } from '../src/backup/upload';
import { createLogger } from '../src/log/logger';
import { MiB } from './pipeline';
import { cpuSeconds } from './processes';

export interface ThroughputResult {
  bytes: number;
  chunkBytes: number;
  rounds: number;
  engineMiBps: number[];
  plainMiBps: number[];
  /** Median of the rounds' engine / plain ratios (pairedRatio). */
  ratio: number;
  /** Median engine / median plain: the same figure without pairing (absent in older results). */
  ratioOfMedians?: number;
  /** This process's CPU time (user + system) per GiB sent, medians: what each side costs the worker. */
  engineCpuSecondsPerGiB: number;
  plainCpuSecondsPerGiB: number;
  /** The same engine uploading the rclone crypt ciphertext of the same bytes (an encrypted job). */
  encryptedMiBps: number[];
  /** Median of the rounds' encrypted / plain engine ratios (plaintext MiB/s on both sides). */
  encryptedRatio: number;
  /** Median encrypted engine / median plain engine (absent in older results). */
  encryptedRatioOfMedians?: number;
  /** This process's CPU (all threads, the sealing worker's included) per GiB of plaintext, median. */
  encryptedCpuSecondsPerGiB?: number;
  /**
   * With BENCH_CRYPT_COMPARE=1: the encrypted engine with every block sealed on the event loop
   * (the design before the sealing worker), in the same rounds, so the two compare on one machine state.
   */
  inThreadMiBps?: number[];
  inThreadRatio?: number;
  inThreadCpuSecondsPerGiB?: number;
  /**
   * Main-thread CPU per GiB, medians: plain engine, encrypted, and sealed on the event loop. The
   * event loop is one core's work, so on an otherwise idle machine these bound each side's speed.
   */
  loopCpuSecondsPerGiB?: { engine?: number; encrypted?: number; inThread?: number };
  /** The Graph emulator's CPU per GiB received, median over every round of every side. */
  emulatorCpuSecondsPerGiB?: number;
  /** The 1-minute load average at the start and end of the part: what the second core had to give. */
  loadAverage?: [number, number];
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/**
 * The median of the per-round ratios a[i] / b[i]. Each round runs both sides back to back, so a
 * change of the machine's speed between rounds (this shared machine's doubles or halves within
 * minutes) falls on both sides of a round's ratio; a ratio of the two sides' medians can pair the
 * fast rounds of one side with the slow rounds of the other.
 */
export function pairedRatio(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length || a.length === 0) throw new Error('pairedRatio needs one pair per round');
  return median(a.map((x, i) => x / b[i]));
}

interface Round {
  miBps: number;
  cpuSecondsPerGiB: number;
  /** The Graph emulator process's CPU per GiB (it receives every byte; the same work on every side). */
  emulatorCpuSecondsPerGiB?: number;
  /** The main thread's alone (the event loop: HTTP, hashing, and sealing when it is not in a worker). */
  loopCpuSecondsPerGiB?: number;
}

/**
 * CPU seconds of this process's main thread (Linux /proc/self/task/<pid>/stat, fields 14 and 15,
 * in USER_HZ = 100 ticks), or undefined without /proc. process.cpuUsage() counts every thread.
 */
function mainThreadCpuSeconds(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

async function timed(work: () => Promise<void>, bytes: number, graphPid?: number): Promise<Round> {
  const emulator = graphPid === undefined ? undefined : cpuSeconds(graphPid);
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const loop = mainThreadCpuSeconds();
  await work();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  const loopAfter = mainThreadCpuSeconds();
  const emulatorAfter = graphPid === undefined ? undefined : cpuSeconds(graphPid);
  const gib = bytes / (1024 * MiB);
  return {
    miBps: bytes / MiB / seconds,
    cpuSecondsPerGiB: (used.user + used.system) / 1e6 / gib,
    loopCpuSecondsPerGiB:
      loop !== undefined && loopAfter !== undefined ? (loopAfter - loop) / gib : undefined,
    emulatorCpuSecondsPerGiB:
      emulator !== undefined && emulatorAfter !== undefined ? (emulatorAfter - emulator) / gib : undefined,
  };
}

/** The baseline: createUploadSession, then each chunk PUT in order, nothing else. */
async function plainUpload(
  apiBaseUrl: string,
  driveId: string,
  path: string,
  token: string,
  data: Buffer,
  chunkBytes: number,
): Promise<void> {
  const session = await fetch(`${apiBaseUrl}/drives/${driveId}/root:/${path}:/createUploadSession`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ item: { '@microsoft.graph.conflictBehavior': 'replace' } }),
  });
  const { uploadUrl } = (await session.json()) as { uploadUrl: string };
  for (let offset = 0; offset < data.length; offset += chunkBytes) {
    const chunk = data.subarray(offset, Math.min(data.length, offset + chunkBytes));
    // The same wire and whole body the engine sends, so the ratio measures the engine, not the body.
    const response = await sendOverWire({
      method: 'PUT',
      url: uploadUrl,
      headers: { 'content-range': `bytes ${offset}-${offset + chunk.length - 1}/${data.length}` },
      body: chunk,
      signal: AbortSignal.timeout(120_000),
    });
    await response.text();
    if (response.status >= 300) throw new Error(`plain PUT answered ${response.status}`);
  }
}

/**
 * Deletes the uploaded file for good, untimed, after each upload. Each replace would keep the old
 * content as a version in the emulator's memory, and on this machine (a VM that backs its memory
 * on first touch) every GiB the emulator grows by cost it about 3.5 CPU-seconds of page faults:
 * the CPU the sealing worker and the sender share with it, spent on nothing Graph does for us.
 */
async function discard(apiBaseUrl: string, driveId: string, path: string, token: string): Promise<void> {
  const response = await fetch(`${apiBaseUrl}/drives/${driveId}/root:/${path}:/permanentDelete`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
  await response.text();
  if (response.status !== 204) throw new Error(`permanentDelete of ${path} answered ${response.status}`);
}

const PLAIN_PATH = 'Bench/plain.bin';

const loopMedian = (rounds: Round[]): number | undefined =>
  rounds.every((r) => r.loopCpuSecondsPerGiB !== undefined)
    ? median(rounds.map((r) => r.loopCpuSecondsPerGiB!))
    : undefined;

export async function measureThroughput(options: {
  apiBaseUrl: string;
  /** The Graph emulator's process, for its CPU time per round (optional). */
  graphPid?: number;
  driveId: string;
  token: string;
  bytes: number;
  chunkBytes: number;
  rounds: number;
}): Promise<ThroughputResult> {
  const data = randomBytes(options.bytes);
  const log = createLogger({ bench: 'throughput' });
  const plainRead = async (offset: number, count: number): Promise<Buffer> =>
    data.subarray(offset, offset + count);
  const keys = keysFromBytes(randomBytes(80));
  await sodiumReady();
  const loadAtStart = loadavg()[0];
  // 'in-thread': the same ciphertext with every block sealed on the event loop (the earlier design).
  const enginePath = (encrypted: boolean | 'in-thread'): string =>
    encrypted ? 'Bench/encrypted.bin' : 'Bench/engine.bin';
  const engine = (encrypted: boolean | 'in-thread' = false): Promise<void> =>
    uploadFile(
      {
        target: {
          apiBaseUrl: options.apiBaseUrl,
          driveId: options.driveId,
          encodedPath: enginePath(encrypted),
        },
        size: encrypted ? encryptedSize(data.length) : data.length,
        // What an encrypted job's uploader hands the engine: ciphertext ranges of the same bytes.
        read: encrypted
          ? encryptingRangeReader(keys, newFileNonce(), data.length, plainRead, {
              sealer: encrypted === 'in-thread' ? sealHere : undefined,
            })
          : plainRead,
        tokens: async () => options.token,
      },
      {
        chunkBytes: options.chunkBytes,
        simpleUploadMaxBytes: 4 * MiB,
        deadline: Number.MAX_SAFE_INTEGER,
        allowedUploadHosts: ['127.0.0.1'],
        clock: systemClock,
        retry: DEFAULT_RETRY_POLICY,
        hash: quickXorAlgorithm,
        log,
        requestTimeoutMs: 120_000,
      },
    ).then((outcome) => {
      if (outcome.status !== 'completed') throw new Error('engine did not complete');
    });
  const plain = (): Promise<void> =>
    plainUpload(options.apiBaseUrl, options.driveId, PLAIN_PATH, options.token, data, options.chunkBytes);

  /** One side of the comparison: what it uploads where, and its timed rounds. */
  interface Side {
    run: () => Promise<void>;
    path: string;
    rounds: Round[];
  }
  const side = (run: () => Promise<void>, path: string): Side => ({ run, path, rounds: [] });
  const plainSide = side(plain, PLAIN_PATH);
  const engineSide = side(() => engine(), enginePath(false));
  const encryptedSide = side(() => engine(true), enginePath(true));
  const inThreadSide = side(() => engine('in-thread'), enginePath('in-thread'));
  const compare = process.env.BENCH_CRYPT_COMPARE === '1';
  const sides = [plainSide, engineSide, encryptedSide, ...(compare ? [inThreadSide] : [])];
  const forget = (path: string): Promise<void> =>
    discard(options.apiBaseUrl, options.driveId, path, options.token);

  // One untimed pass of each warms the emulator, TLS sessions and the JIT.
  for (const { run, path } of sides) await run().then(() => forget(path));
  for (let round = 0; round < options.rounds; round += 1) {
    // Alternate which goes first, so a drift in the machine's state falls on all three.
    for (let i = 0; i < sides.length; i += 1) {
      const { run, path, rounds } = sides[(i + round) % sides.length];
      rounds.push(await timed(run, data.length, options.graphPid));
      // Outside the timing.
      await forget(path);
    }
  }
  const { rounds: plainRounds } = plainSide;
  const { rounds: engineRounds } = engineSide;
  const { rounds: encryptedRounds } = encryptedSide;
  const { rounds: inThreadRounds } = inThreadSide;
  const encryptedMiBps = encryptedRounds.map((r) => r.miBps);
  const engineMiBps = engineRounds.map((r) => r.miBps);
  const plainMiBps = plainRounds.map((r) => r.miBps);
  return {
    bytes: data.length,
    chunkBytes: options.chunkBytes,
    rounds: options.rounds,
    engineMiBps,
    plainMiBps,
    ratio: pairedRatio(engineMiBps, plainMiBps),
    ratioOfMedians: median(engineMiBps) / median(plainMiBps),
    engineCpuSecondsPerGiB: median(engineRounds.map((r) => r.cpuSecondsPerGiB)),
    plainCpuSecondsPerGiB: median(plainRounds.map((r) => r.cpuSecondsPerGiB)),
    encryptedMiBps,
    encryptedRatio: pairedRatio(encryptedMiBps, engineMiBps),
    encryptedRatioOfMedians: median(encryptedMiBps) / median(engineMiBps),
    encryptedCpuSecondsPerGiB: median(encryptedRounds.map((r) => r.cpuSecondsPerGiB)),
    ...(compare
      ? {
          inThreadMiBps: inThreadRounds.map((r) => r.miBps),
          inThreadRatio: median(inThreadRounds.map((r) => r.miBps)) / median(engineMiBps),
          inThreadCpuSecondsPerGiB: median(inThreadRounds.map((r) => r.cpuSecondsPerGiB)),
        }
      : {}),
    loopCpuSecondsPerGiB: {
      engine: loopMedian(engineRounds),
      encrypted: loopMedian(encryptedRounds),
      inThread: compare ? loopMedian(inThreadRounds) : undefined,
    },
    emulatorCpuSecondsPerGiB: (() => {
      const all = [...plainRounds, ...engineRounds, ...encryptedRounds, ...inThreadRounds];
      return all.every((r) => r.emulatorCpuSecondsPerGiB !== undefined)
        ? median(all.map((r) => r.emulatorCpuSecondsPerGiB!))
        : undefined;
    })(),
    loadAverage: [loadAtStart, loadavg()[0]],
  };
}
