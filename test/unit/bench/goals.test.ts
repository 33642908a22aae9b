// The report's goal table (bench/goals.ts, bench/report.ts): each goal's figure from the part that
// measured it, "not measured in this run" for a part that did not run, the measured ÷ target ratio
// and whether the goal was met, and the page and chart written from the same results.
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { goalRows, GOALS } from '../../../bench/goals';
import type { Machine } from '../../../bench/machine';
import type { JobComparison, RcloneComparison, RunFigures } from '../../../bench/rclone/compare';
import { ratiosOf, summarize } from '../../../bench/rclone/compare';
import type { PlanningPass, PlanningResult } from '../../../bench/planning';
import { CHART_FILE, writeMarkdown, type Results } from '../../../bench/report';

const machine: Machine = {
  cpus: 2,
  cpuModel: 'Test CPU',
  memoryGiB: 8,
  node: 'v20.0.0',
  platform: 'Linux test x64',
  date: '2026-12-01T12:00:00.000Z',
  loadAverage: 0.5,
};

const empty = (): Results => ({ machine, memory: [], requests: [], goals: {} });

function run(figures: Partial<RunFigures>): RunFigures {
  return {
    seconds: 1,
    files: 0,
    bytes: 0,
    mibPerSecond: 0,
    workerCpuSeconds: 1,
    azuriteCpuSeconds: 1,
    graphRequests: 0,
    storageRequests: 0,
    ...figures,
  };
}

function job(kind: JobComparison['kind'], product: RunFigures[], rclone?: RunFigures[]): JobComparison {
  const p = summarize(product);
  const r = rclone && summarize(rclone);
  return { kind, label: `${kind} job`, product: p, rclone: r, ratios: r && ratiosOf(p.median, r.median) };
}

function comparison(jobs: JobComparison[], skipped?: string): RcloneComparison {
  return {
    rclone: skipped ? undefined : 'rclone v1.60.1',
    skipped,
    rounds: 3,
    largeBytes: [256 * 1024 ** 2],
    chunkBytes: 10 * 1024 ** 2,
    smallFiles: 1000,
    smallBytes: 186e6,
    jobs,
    loadAverage: [1, 1],
  };
}

const row = (r: Results, goal: string) => goalRows(r).find((g) => g.goal.startsWith(goal))!;

describe('the goal table', () => {
  it('has a row for every goal, each "not measured in this run" when no part ran', () => {
    const rows = goalRows(empty());
    expect(rows).toHaveLength(GOALS.length);
    for (const g of rows) {
      expect(g.measured).toBe('not measured in this run');
      expect(g.ratio).toBe('—');
      expect(g.met).toBe('—');
    }
  });

  it('takes a figure a part set itself, with the ratio to the target and whether it was met', () => {
    const r = empty();
    r.goals.crashResentChunks = { measured: 0.5, detail: 'soak: 5 kills' };
    r.goals.planningRate = { measured: 5000, detail: 'planning part' };
    const crash = row(r, 'Bytes resent');
    expect(crash).toMatchObject({
      measured: '0.50 chunks',
      ratio: '0.50',
      met: 'yes',
      detail: 'soak: 5 kills',
    });
    const planning = row(r, 'Planning rate');
    expect(planning).toMatchObject({ measured: '5,000 blobs/s', ratio: '0.50', met: 'no' });
  });

  it('derives the planning goal from the slower pass, with the rerun after a failure from the smaller container', () => {
    const pass = (blobsPerSecond: number, seconds: number, blobCpu: number): PlanningPass => ({
      seconds,
      blobsPerSecond,
      pages: 20,
      uploadTasks: 1000,
      peakRssMiB: 300,
      workerCpuSeconds: 2,
      azuriteCpuByProcess: [blobCpu, 0.1, 0.2],
    });
    const planning = (blobs: number, firstRerun?: PlanningPass): PlanningResult => ({
      target: blobs,
      azuriteLayout: 'a process per service',
      blobs,
      seedSeconds: 10,
      seedCapped: false,
      pages: blobs / 5000,
      uploadTasks: 1000,
      seconds: 16,
      blobsPerSecond: 6250,
      listing: pass(7000, 14, 13),
      first: pass(6250, 16, 12),
      rerun: pass(8000, 12.5, 12),
      ...(firstRerun && { firstRerun }),
    });
    const r = empty();
    r.planning = planning(100_000);
    r.planningManifest = planning(10_000, pass(6700, 1.5, 1));
    const derived = row(r, 'Planning rate');
    expect(derived).toMatchObject({ measured: '6,250 blobs/s', met: 'no' });
    expect(derived.detail).toContain('100,000-blob container: first run 6250, unchanged rerun 8000');
    expect(derived.detail).toContain('6700 on a 10,000-blob container after a run with a failure');
    expect(derived.detail).toContain("Azurite's Blob process busy 96 % of the rerun");
    // Azurite at Node's defaults: nothing said of a young generation.
    expect(derived.detail).not.toContain('young generation');
    r.planningManifest = undefined;
    expect(row(r, 'Planning rate').detail).toContain('not measured after a run with a failure');
    // Azurite with a young generation set: said, with the listing at Node's default beside it.
    r.planning = {
      ...planning(100_000),
      azuriteYoungGenerationMiB: 64,
      listingAtDefaults: pass(8480, 11.8, 12),
    };
    expect(row(r, 'Planning rate').detail).toContain(
      "a process per service, each with a young generation of 64 MiB a semi-space; at Node's default the container listed alone at 8480 blobs/s)",
    );
  });

  it('derives the rclone goals from the comparison: product ÷ rclone of the medians', () => {
    const r = empty();
    r.rclone = comparison([
      job(
        'large',
        [
          run({ mibPerSecond: 50, workerCpuSeconds: 9 }),
          run({ mibPerSecond: 60, workerCpuSeconds: 10 }),
          run({ mibPerSecond: 70, workerCpuSeconds: 11 }),
        ],
        [
          run({ mibPerSecond: 80, workerCpuSeconds: 3 }),
          run({ mibPerSecond: 75, workerCpuSeconds: 3 }),
          run({ mibPerSecond: 74, workerCpuSeconds: 4 }),
        ],
      ),
      job(
        'small',
        [run({ files: 1000, storageRequests: 18_800, workerCpuSeconds: 12 })],
        [run({ files: 1000, storageRequests: 2000, workerCpuSeconds: 3 })],
      ),
      job('rerun', [run({ seconds: 0.1, storageRequests: 2 })], [run({ seconds: 0.2 })]),
    ]);
    // Medians: product 60 MiB/s and 10 CPU-s, rclone 75 MiB/s and 3 CPU-s.
    expect(row(r, 'Large files speed')).toMatchObject({ measured: '0.80 × rclone', met: 'no' });
    expect(row(r, 'Large files worker CPU')).toMatchObject({
      measured: '3.33 × rclone',
      ratio: '2.22',
      met: 'no',
    });
    expect(row(r, 'Worker CPU per 1,000')).toMatchObject({
      measured: '4.00 × rclone',
      ratio: '2.00',
      met: 'no',
    });
    expect(row(r, 'Unchanged rerun')).toMatchObject({ measured: '0.50 × rclone', met: 'yes' });
    expect(row(r, 'Storage transactions per small file, first')).toMatchObject({
      measured: '18.8 per file',
      met: 'no',
    });
    expect(row(r, 'Storage transactions per small file, unchanged')).toMatchObject({
      measured: '0.0020 per file',
      ratio: '0.20',
      met: 'yes',
    });
  });

  it('says why the rclone goals are missing when there was no rclone, and still fills the product figures', () => {
    const r = empty();
    r.rclone = comparison(
      [job('small', [run({ files: 1000, storageRequests: 2500 })])],
      'no rclone binary on PATH',
    );
    expect(row(r, 'Worker CPU per 1,000')).toMatchObject({
      measured: 'not measured in this run',
      detail: 'no rclone: no rclone binary on PATH',
    });
    expect(row(r, 'Storage transactions per small file, first')).toMatchObject({
      measured: '2.50 per file',
      met: 'yes',
    });
  });

  it('reads the memory goal from the 256 MiB and 4 GiB runs only when both ran', () => {
    const memory = (fileBytes: number, rss: number) => {
      const f = { rss: rss * 1024 ** 2, heapUsed: 0, external: 0, arrayBuffers: 0 };
      return {
        target: 'engine' as const,
        cpuSeconds: 1,
        fileBytes,
        chunkBytes: 10 * 1024 ** 2,
        seconds: 1,
        baseline: f,
        peak: f,
        livePeak: f,
        after: f,
        graphRequests: 0,
      };
    };
    const r = empty();
    r.memory.push(memory(256 * 1024 ** 2, 190));
    expect(row(r, 'Peak worker RSS').measured).toBe('not measured in this run');
    r.memory.push(memory(4 * 1024 ** 3, 204));
    expect(row(r, 'Peak worker RSS')).toMatchObject({ measured: '14.0 MiB', met: 'no' });
  });

  it('reads the resend goal from the crash part: the most one file sent again after one kill, in chunks', () => {
    const r = empty();
    const chunk = 10 * 1024 ** 2;
    const kill = (n: number, most: number, all: number) => ({
      kill: n,
      filesInterrupted: 3,
      sessionBytes: all,
      maxSessionBytesPerFile: most,
      simpleBytes: 0,
    });
    r.crash = {
      files: 44,
      bytes: 800 * 1024 ** 2,
      chunkBytes: chunk,
      kills: [kill(1, 0, 0), kill(2, chunk, 3 * chunk), kill(3, chunk / 2, chunk / 2)],
      bytesResent: 3.5 * chunk,
      resentOtherwise: 0,
      runStatus: 'succeeded',
      verifiedFiles: 44,
      leaseSeconds: 8,
      wallSeconds: 40,
      problems: [],
    };
    // Three files each resending their one cut chunk is within the goal; one file resending two is not.
    expect(row(r, 'Bytes resent')).toMatchObject({ measured: '1.00 chunks', met: 'yes' });
    expect(row(r, 'Bytes resent').detail).toContain('3 kills');
    r.crash.kills.push(kill(4, 2 * chunk, 2 * chunk));
    expect(row(r, 'Bytes resent')).toMatchObject({ measured: '2.00 chunks', met: 'no' });
  });
});

describe('the benchmarks page', () => {
  it('shows the goal table, the comparison with its chart, and a heading for each part', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-report-'));
    const file = path.join(dir, 'benchmarks.md');
    const r = empty();
    r.rclone = comparison([
      job('small', [run({ files: 1000, seconds: 22 })], [run({ files: 1000, seconds: 11 })]),
    ]);
    writeMarkdown(r, file);
    // Prettier pads table cells to align them; compare with single spaces.
    const page = readFileSync(file, 'utf8').replace(/ {2,}/g, ' ');
    expect(page).toContain('| Worker CPU per 1,000 small files, × rclone | ≤ 2 × rclone | 1.00 × rclone |');
    expect(page).toContain('| Bytes resent per worker kill | ≤ 1 chunks | not measured in this run |');
    expect(page).toContain(`![Product vs rclone](${CHART_FILE})`);
    expect(page).toContain('| small job | wall time (s) | 22.00 | 11.00 | 2.00 |');
    for (const heading of [
      'Planning and small files',
      'Large files: engine, hash and memory',
      'Crash resume',
    ])
      expect(page).toContain(`## ${heading}\n\nNot measured in this run.`);
    const chart = readFileSync(path.join(dir, CHART_FILE), 'utf8');
    expect(chart).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(chart).toContain('2026-12-01, 2 CPUs (Test CPU)');
    // Product 22 s is the longer bar: the panel's full width; rclone half of it.
    expect(chart).toContain('width="210.0" height="22" fill="#2f6fb3"');
    expect(chart).toContain('width="105.0" height="22" fill="#d9822b"');
  });
});
