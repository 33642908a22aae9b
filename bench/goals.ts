// The performance goals the report checks, each with its target and where its figure comes from.
// A bench part plugs its figure in one of two ways: it sets `results.goals[id]` itself (the way to
// go for a part whose figure is not simply one field of its result), or the goal's `derive` reads
// it from the part's result. A figure no part produced shows as "not measured in this run", so a
// partial bench (BENCH_ONLY) still writes a complete, honest table.
import type { Results } from './report';
import type { PlanningResult } from './planning';

export type GoalId =
  | 'planningRate'
  | 'storagePerFileFirstRun'
  | 'storagePerFileRerun'
  | 'smallCpuVsRclone'
  | 'rerunVsRclone'
  | 'largeSpeedVsRclone'
  | 'largeCpuPerGiBVsRclone'
  | 'engineVsPlainPut'
  | 'encryptedVsPlain'
  | 'crashResentChunks'
  | 'rss4GiBOver256MiB';

export interface GoalFigure {
  /** In the goal's unit. */
  measured: number;
  /** What the figure is made of, and which bench part measured it. */
  detail: string;
}

export type GoalFigures = Partial<Record<GoalId, GoalFigure>>;

export interface Goal {
  id: GoalId;
  goal: string;
  target: number;
  direction: 'atLeast' | 'atMost';
  unit: string;
  /** The figure from a part's result, when the part did not set `results.goals[id]` itself. */
  derive?: (r: Results) => GoalFigure | undefined;
  /** Why the figure may be missing, shown instead of a bare "not measured". */
  missing?: (r: Results) => string | undefined;
}

const fixed = (n: number, digits = 2): string => n.toFixed(digits);
const job = (r: Results, kind: 'large' | 'small' | 'rerun') => r.rclone?.jobs.find((j) => j.kind === kind);
const noRclone = (r: Results): string | undefined =>
  r.rclone ? (r.rclone.skipped ? `no rclone: ${r.rclone.skipped}` : undefined) : undefined;

/** product ÷ rclone of one figure of one job, as a goal figure. */
function versusRclone(
  kind: 'large' | 'small' | 'rerun',
  figure: 'seconds' | 'mibPerSecond' | 'workerCpuSeconds',
  describe: string,
): (r: Results) => GoalFigure | undefined {
  return (r) => {
    const j = job(r, kind);
    const ratio = j?.ratios?.[figure];
    if (!j || ratio === undefined || !j.rclone) return undefined;
    const p = j.product.median[figure]!;
    const c = j.rclone.median[figure]!;
    return {
      measured: ratio,
      detail: `${describe}: product ${fixed(p)}, rclone ${fixed(c)} (medians of ${r.rclone!.rounds}, ${j.label}; rclone comparison)`,
    };
  };
}

/** The planning goal's figures: both passes, what bounds them, and the rerun after a failure. */
function planningDetail(r: Results): string {
  const p = r.planning!;
  const afterFailure = p.firstRerun
    ? `${fixed(p.firstRerun.blobsPerSecond, 0)}`
    : r.planningManifest?.firstRerun
      ? `${fixed(r.planningManifest.firstRerun.blobsPerSecond, 0)} on a ${r.planningManifest.blobs.toLocaleString('en-US')}-blob container`
      : 'not measured';
  const blobBusy = p.rerun.azuriteCpuByProcess && p.rerun.azuriteCpuByProcess[0] / p.rerun.seconds;
  return [
    `${p.blobs.toLocaleString('en-US')}-blob container: first run ${fixed(p.first.blobsPerSecond, 0)}, unchanged rerun ${fixed(p.rerun.blobsPerSecond, 0)} blobs/s`,
    ` (page digests the first run recorded; ${afterFailure} after a run with a failure, when it queries the manifest);`,
    ` worker CPU ${fixed(p.first.workerCpuSeconds, 1)} s and ${fixed(p.rerun.workerCpuSeconds, 1)} s`,
    p.listing
      ? `; the container listed alone, nothing else: ${fixed(p.listing.blobsPerSecond, 0)} blobs/s`
      : '',
    blobBusy !== undefined ? `; Azurite's Blob process busy ${fixed(100 * blobBusy, 0)} % of the rerun` : '',
    ` (planning part, real Azurite queues and tables, ${p.azuriteLayout ?? 'one process'}`,
    azuriteTuning(p),
    ')',
  ].join('');
}

/** ", each with a young generation of 64 MiB a semi-space (at Node's default ...)" when it had one. */
function azuriteTuning(p: PlanningResult): string {
  if (!p.azuriteYoungGenerationMiB) return '';
  const atDefaults = p.listingAtDefaults
    ? `; at Node's default the container listed alone at ${fixed(p.listingAtDefaults.blobsPerSecond, 0)} blobs/s`
    : '';
  return `, each with a young generation of ${p.azuriteYoungGenerationMiB} MiB a semi-space${atDefaults}`;
}

export const GOALS: Goal[] = [
  {
    id: 'planningRate',
    goal: 'Planning rate (first run and unchanged rerun)',
    target: 10_000,
    direction: 'atLeast',
    unit: 'blobs/s',
    // The slower of the two passes: the goal holds for both.
    derive: (r) =>
      r.planning && {
        measured: Math.min(r.planning.first.blobsPerSecond, r.planning.rerun.blobsPerSecond),
        detail: planningDetail(r),
      },
  },
  {
    id: 'storagePerFileFirstRun',
    goal: 'Storage transactions per small file, first run',
    target: 3,
    direction: 'atMost',
    unit: 'per file',
    derive: (r) => {
      const j = job(r, 'small');
      const pass = r.smallFiles?.[0];
      if ((!j || !j.product.median.files) && pass)
        return {
          measured: pass.perFile,
          detail: `${pass.storage.total} requests through the counting proxy for ${pass.files} files (small-files part)`,
        };
      if (!j || !j.product.median.files) return undefined;
      const m = j.product.median;
      return {
        measured: m.storageRequests / m.files,
        detail: `${m.storageRequests} requests logged by Azurite for ${m.files} files (queue, table, blob; median run of the rclone comparison)`,
      };
    },
  },
  {
    id: 'storagePerFileRerun',
    goal: 'Storage transactions per small file, unchanged rerun',
    target: 0.01,
    direction: 'atMost',
    unit: 'per file',
    // The goal is the cost that grows with the container ("one page listing per 5,000"): what each
    // more unchanged file adds, not the run's fixed start and end, which a 1,000-file container
    // spreads over few files. The small-files part splits the two (bench/smallFiles.ts); without it
    // the comparison's whole rerun over its files is shown, fixed part included.
    derive: (r) => {
      const cost = r.smallFilesRerun;
      const j = job(r, 'rerun');
      const comparison =
        j && r.rclone
          ? `; the comparison's ${r.rclone.smallFiles.toLocaleString('en-US')}-file rerun: ${j.product.median.storageRequests} requests in all, Azurite's log, idle queue polls included`
          : '';
      if (cost && Number.isFinite(cost.marginalPerFile))
        return {
          measured: cost.marginalPerFile,
          detail: `per file of a container in pages of 5,000 whose digests match: a page adds ${fixed(cost.perPage, 1)} requests (${cost.smallPagesTotal} in ${cost.smallPages} pages vs ${cost.total} in ${cost.pages})${cost.comparedMarginalPerFile !== undefined ? `; compared with the manifest (after a run with a failure) a page of ≤ 1,000 adds ${fixed(cost.comparedPerPage!, 1)}, a full page ${fixed(cost.comparedPerPage! + 4, 1)}, ${cost.comparedMarginalPerFile.toPrecision(2)} per file` : ''}; fixed per run ${fixed(cost.fixed, 1)} (small-files part, counting proxy)${comparison}`,
        };
      const pass = r.smallFiles?.[1];
      if ((!j || !r.rclone) && pass)
        return {
          measured: pass.perFile,
          detail: `${pass.storage.total} requests through the counting proxy for ${pass.files} unchanged files, the run's fixed part included (small-files part)`,
        };
      if (!j || !r.rclone) return undefined;
      return {
        measured: j.product.median.storageRequests / r.rclone.smallFiles,
        detail: `${j.product.median.storageRequests} requests logged by Azurite for ${r.rclone.smallFiles} unchanged files, the run's fixed part included (median run of the rclone comparison; the small-files part splits fixed and per-file)`,
      };
    },
  },
  {
    id: 'smallCpuVsRclone',
    goal: 'Worker CPU per 1,000 small files, × rclone',
    target: 2,
    direction: 'atMost',
    unit: '× rclone',
    derive: versusRclone('small', 'workerCpuSeconds', 'CPU-s'),
    missing: noRclone,
  },
  {
    id: 'rerunVsRclone',
    goal: 'Unchanged rerun wall time, × rclone --size-only',
    target: 1,
    direction: 'atMost',
    unit: '× rclone',
    derive: versusRclone('rerun', 'seconds', 'seconds'),
    missing: noRclone,
  },
  {
    id: 'largeSpeedVsRclone',
    goal: 'Large files speed, × rclone',
    target: 1,
    direction: 'atLeast',
    unit: '× rclone',
    derive: versusRclone('large', 'mibPerSecond', 'MiB/s'),
    missing: noRclone,
  },
  {
    id: 'largeCpuPerGiBVsRclone',
    goal: 'Large files worker CPU per GiB, × rclone',
    target: 1.5,
    direction: 'atMost',
    unit: '× rclone',
    // Both sides move the same bytes, so the CPU ratio is the CPU-per-GiB ratio.
    derive: versusRclone('large', 'workerCpuSeconds', 'CPU-s for the same bytes'),
    missing: noRclone,
  },
  {
    id: 'engineVsPlainPut',
    goal: 'Upload engine speed, × a plain PUT of the same bytes',
    target: 0.9,
    direction: 'atLeast',
    unit: '× plain PUT',
    derive: (r) =>
      r.throughput && {
        measured: r.throughput.ratio,
        detail: `${Math.round(r.throughput.bytes / 1024 ** 2)} MiB, ${r.throughput.rounds} rounds, the median of each round's engine ÷ plain PUT (both back to back in every round, so a change of the machine's speed between rounds falls on both)${r.throughput.ratioOfMedians !== undefined ? `; median ÷ median ${r.throughput.ratioOfMedians.toFixed(2)}` : ''} (throughput part)`,
      },
  },
  {
    id: 'encryptedVsPlain',
    goal: 'Encrypted (rclone crypt) upload speed, × plain upload',
    target: 0.8,
    direction: 'atLeast',
    unit: '× plain',
    derive: (r) =>
      r.throughput?.encryptedRatio !== undefined
        ? {
            measured: r.throughput.encryptedRatio,
            detail: `the upload engine with and without encryption, ${Math.round(r.throughput.bytes / 1024 ** 2)} MiB, ${r.throughput.rounds} rounds, the median of each round's ratio of plaintext MiB/s${r.throughput.encryptedRatioOfMedians !== undefined ? `; median ÷ median ${r.throughput.encryptedRatioOfMedians.toFixed(2)}` : ''} (throughput part)`,
          }
        : undefined,
  },
  {
    id: 'crashResentChunks',
    goal: 'Bytes resent per worker kill',
    target: 1,
    direction: 'atMost',
    unit: 'chunks',
    derive: (r) => {
      const c = r.crash;
      if (!c?.kills.length) return undefined;
      // Per file: each file on the wire at a kill may send its one cut chunk again.
      const most = Math.max(...c.kills.map((k) => k.maxSessionBytesPerFile));
      const mib = (n: number): string => `${fixed(n / 1024 ** 2)} MiB`;
      return {
        measured: most / c.chunkBytes,
        detail: `most one file resent after one kill, in ${mib(c.chunkBytes)} chunks; ${c.kills.length} kills of the local host, per kill all files: ${c.kills.map((k) => mib(k.sessionBytes)).join(', ')}; ${mib(c.resentOtherwise)} not charged to a kill; ${c.verifiedFiles} of ${c.files} files byte-identical (crash part)`,
      };
    },
    missing: () => 'measured by the crash part (the soak with host kills)',
  },
  {
    id: 'rss4GiBOver256MiB',
    goal: 'Peak worker RSS, 4 GiB blob minus 256 MiB blob (10 MiB chunks)',
    target: 10,
    direction: 'atMost',
    unit: 'MiB',
    derive: (r) => {
      // The upload engine's runs: the Graph emulator cannot hold a 4 GiB file for the pipeline's.
      const of = (bytes: number) =>
        r.memory.find((m) => m.fileBytes === bytes && (m.target ?? 'engine') === 'engine');
      const [small, large] = [of(256 * 1024 ** 2), of(4 * 1024 ** 3)];
      if (!small || !large) return undefined;
      const mib = (n: number): number => n / 1024 ** 2;
      return {
        measured: mib(large.peak.rss - small.peak.rss),
        detail: `peak RSS ${fixed(mib(large.peak.rss), 0)} MiB vs ${fixed(mib(small.peak.rss), 0)} MiB (memory part${large.runs && large.runs.length > 1 ? `, median of ${large.runs.length} fresh workers per size` : ''})`,
      };
    },
  },
];

export interface GoalRow {
  goal: string;
  target: string;
  measured: string;
  /** Measured ÷ target: at least 1 meets an "at least" goal, at most 1 an "at most" one. */
  ratio: string;
  met: 'yes' | 'no' | '—';
  detail: string;
}

const NOT_MEASURED = 'not measured in this run';

function number(n: number): string {
  if (n === 0) return '0';
  const abs = Math.abs(n);
  if (abs >= 1000) return Math.round(n).toLocaleString('en-US');
  if (abs >= 10) return n.toFixed(1);
  if (abs >= 0.1) return n.toFixed(2);
  return n.toPrecision(2);
}

export function goalRows(r: Results): GoalRow[] {
  return GOALS.map((g) => {
    const target = `${g.direction === 'atLeast' ? '≥' : '≤'} ${g.target.toLocaleString('en-US')} ${g.unit}`;
    const figure = r.goals[g.id] ?? g.derive?.(r);
    if (!figure || !Number.isFinite(figure.measured))
      return {
        goal: g.goal,
        target,
        measured: NOT_MEASURED,
        ratio: '—',
        met: '—',
        detail: g.missing?.(r) ?? '',
      };
    const ratio = g.target === 0 ? Number.NaN : figure.measured / g.target;
    const met = g.direction === 'atLeast' ? figure.measured >= g.target : figure.measured <= g.target;
    return {
      goal: g.goal,
      target,
      measured: `${number(figure.measured)} ${g.unit}`,
      ratio: Number.isFinite(ratio) ? number(ratio) : '—',
      met: met ? 'yes' : 'no',
      detail: figure.detail,
    };
  });
}
