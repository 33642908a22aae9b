// The benchmark's output: a table on the console and docs/benchmarks.md with the same figures, the
// machine, the date and how to reproduce them: the goals first (goals.ts), then the product against
// rclone with its chart (chart.ts, an SVG next to the page), then one section per bench part.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { comparisonChart } from './chart';
import { goalRows, type GoalFigures } from './goals';
import type { Machine } from './machine';
import type { CryptResult } from './crypt';
import type { CrashResult } from './crashResume';
import type { EventFigures } from './events';
import type { HashResult } from './hash';
import type { RerunCost, SmallFilesPass } from './smallFiles';
import type { MemoryResult } from './memory';
import type { PlanningResult } from './planning';
import type { JobComparison, RcloneComparison, RunFigures } from './rclone/compare';
import { perGiB, type RunCount } from './requests';
import type { ThroughputResult } from './throughput';

/** What a bench run measured. Each part adds its result here (and, if it has one, its goal figure). */
export interface Results {
  machine: Machine;
  hash?: HashResult;
  /** rclone crypt alone (bench/crypt.ts). */
  crypt?: CryptResult;
  /** Blob write to verified copy (bench/events.ts); its section is written after the page. */
  events?: EventFigures;
  /** Storage transactions per small file, first run then unchanged rerun (bench/smallFiles.ts). */
  smallFiles?: SmallFilesPass[];
  /** The unchanged rerun's requests split into per-run and per-page parts (bench/smallFiles.ts). */
  smallFilesRerun?: RerunCost;
  throughput?: ThroughputResult;
  memory: MemoryResult[];
  planning?: PlanningResult;
  /** With a planning container too large for its manifest: the same part on a smaller one, with the rerun after a failure. */
  planningManifest?: PlanningResult;
  requests: RunCount[];
  rclone?: RcloneComparison;
  /** The soak's host kills, what each made the product send again (bench/crashResume.ts). */
  crash?: CrashResult;
  /** Goal figures a part sets directly (see goals.ts); they win over what a goal derives. */
  goals: GoalFigures;
}

export const CHART_FILE = 'benchmarks-rclone.svg';
/** Where `npm run bench` keeps the raw results of its last run (not committed). */
export const RESULTS_FILE = path.join(__dirname, '..', '.local', 'bench-results.json');

const MiB = 1024 * 1024;
const mib = (bytes: number): string => `${(bytes / MiB).toFixed(0)} MiB`;
const fixed = (n: number, digits = 1): string => n.toFixed(digits);
const list = (values: number[]): string => values.map((v) => fixed(v, 0)).join(', ');
const signed = (bytes: number): string => `${bytes >= 0 ? '+' : '−'}${fixed(Math.abs(bytes) / MiB, 1)} MiB`;

/** What RSS held at its peak: V8's heap, the array buffers (chunks, socket pieces), other external memory, the rest. */
function makeUp(m: MemoryResult): string {
  const at = m.atPeakRss;
  if (!at || at.heapTotal === undefined) return '';
  const rest = at.rss - at.heapTotal - at.external;
  return `; at the RSS peak: V8 heap ${mib(at.heapTotal)} (${mib(at.heapUsed)} used), array buffers ${mib(at.arrayBuffers)}, other external ${mib(at.external - at.arrayBuffers)}, the rest (code, stacks, allocator) ${mib(rest)}`;
}
const kinds = (byKind: Record<string, number>): string =>
  Object.entries(byKind)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ×${n}`)
    .join(', ') || '—';

/** Rows of [figure, value, note], shared by the console table and the markdown. */
function rows(r: Results): string[][] {
  const out: string[][] = [];
  if (r.crypt) {
    const c = r.crypt;
    out.push([
      'rclone crypt alone, MiB/s',
      `encrypt ${list(c.encryptMiBps)}${c.encryptInThreadMiBps?.length ? ` (on the event loop: ${list(c.encryptInThreadMiBps)})` : ''}; decrypt ${list(c.decryptMiBps)}${c.restoreDecryptMiBps?.length ? ` (restore's ranges, in the worker: ${list(c.restoreDecryptMiBps)})` : ''}`,
      `${mib(c.bytes)} in ${mib(c.chunkBytes)} ciphertext ranges (not block-aligned), ${c.rounds} rounds; secretbox from ${c.secretbox === 'sodium-native' ? "libsodium's native build (sodium-native)" : 'libsodium-wrappers (WebAssembly)'}`,
    ]);
  }
  if (r.hash) {
    const h = r.hash;
    out.push([
      'quickXorHash alone, MiB per CPU-second',
      `${fixed(h.miBps.aligned, 0)} (${h.kernel === 'simd' ? 'WebAssembly SIMD' : 'JavaScript'} kernel)`,
      `${mib(h.chunkBytes)} updates; at an odd offset ${fixed(h.miBps.odd, 0)}; the JavaScript kernel ${fixed(h.jsMiBps.aligned, 0)} aligned, ${fixed(h.jsMiBps.odd, 0)} odd`,
    ]);
  }
  if (r.throughput) {
    const t = r.throughput;
    out.push([
      'Upload throughput, engine / plain PUT',
      `${fixed(t.ratio, 2)} (goal ≥ 0.9)`,
      `${mib(t.bytes)} file, ${mib(t.chunkBytes)} chunks, ${t.rounds} rounds; median of the rounds' ratios${t.ratioOfMedians !== undefined ? ` (median ÷ median: ${fixed(t.ratioOfMedians, 2)})` : ''}; engine MiB/s: ${list(t.engineMiBps)}; plain MiB/s: ${list(t.plainMiBps)}; worker CPU per GiB: engine ${fixed(t.engineCpuSecondsPerGiB, 2)} s, plain PUT ${fixed(t.plainCpuSecondsPerGiB, 2)} s`,
    ]);
    if (t.encryptedMiBps?.length)
      out.push([
        'Upload throughput, encrypted (rclone crypt) / plain engine',
        `${fixed(t.encryptedRatio, 2)} (goal ≥ 0.8)`,
        `same file and chunks; median of the rounds' ratios${t.encryptedRatioOfMedians !== undefined ? ` (median ÷ median: ${fixed(t.encryptedRatioOfMedians, 2)})` : ''}; encrypted engine MiB/s of plaintext: ${list(t.encryptedMiBps)}` +
          (t.encryptedCpuSecondsPerGiB !== undefined
            ? `; CPU per GiB (sealing worker included) ${fixed(t.encryptedCpuSecondsPerGiB, 2)} s`
            : '') +
          (t.inThreadMiBps?.length
            ? `; sealed on the event loop instead: ${fixed(t.inThreadRatio ?? 0, 2)}, MiB/s ${list(t.inThreadMiBps)}, CPU per GiB ${fixed(t.inThreadCpuSecondsPerGiB ?? 0, 2)} s`
            : '') +
          (t.loopCpuSecondsPerGiB?.encrypted !== undefined
            ? `; event-loop CPU per GiB: plain engine ${fixed(t.loopCpuSecondsPerGiB.engine ?? 0, 2)} s, encrypted ${fixed(t.loopCpuSecondsPerGiB.encrypted, 2)} s` +
              (t.loopCpuSecondsPerGiB.inThread !== undefined
                ? `, sealed on the event loop ${fixed(t.loopCpuSecondsPerGiB.inThread, 2)} s`
                : '')
            : '') +
          (t.emulatorCpuSecondsPerGiB !== undefined
            ? `; Graph emulator CPU per GiB ${fixed(t.emulatorCpuSecondsPerGiB, 2)} s`
            : '') +
          (t.loadAverage
            ? `; load average ${fixed(t.loadAverage[0], 1)} → ${fixed(t.loadAverage[1], 1)}`
            : ''),
      ]);
  }
  for (const m of r.memory.filter((x) => x.target === 'pipeline')) {
    const chunks = (bytes: number): string => `${fixed(bytes / m.chunkBytes)} chunks`;
    const held = m.livePeak
      ? `, of which held ${mib(m.livePeak.arrayBuffers)} (${chunks(m.livePeak.arrayBuffers)})`
      : '';
    out.push([
      `Peak memory, ${mib(m.fileBytes)} blob`,
      `RSS ${mib(m.peak.rss)} (+${mib(m.peak.rss - m.baseline.rss)} over idle); array buffers ${mib(m.peak.arrayBuffers)} (${chunks(m.peak.arrayBuffers)})${held}${makeUp(m)}`,
      `idle worker RSS ${mib(m.baseline.rss)}; heap ${mib(m.peak.heapUsed)}, external ${mib(m.peak.external)}; RSS after the run and a forced GC ${mib(m.after.rss)} (+${mib(m.after.rss - m.baseline.rss)}); ${mib(m.chunkBytes)} chunks; ${fixed(m.fileBytes / MiB / m.seconds)} MiB/s Azurite → worker → Graph emulator; worker CPU ${fixed(m.cpuSeconds / (m.fileBytes / (1024 * MiB)), 2)} s per GiB; ${m.graphRequests ?? 0} Graph requests`,
    ]);
  }
  const engine = r.memory.filter((x) => x.target === 'engine');
  for (const m of engine) {
    const runs =
      m.runs && m.runs.length > 1
        ? `; ${m.runs.length} fresh workers, peaks ${m.runs.map((x) => fixed(x.peak.rss / MiB, 0)).join(', ')} MiB (idle RSS ${m.runs.map((x) => fixed(x.baseline.rss / MiB, 0)).join(', ')} MiB), the median run shown`
        : '';
    const growth =
      m.lateRssGrowth === undefined ? '' : `; RSS late in the run vs early: ${signed(m.lateRssGrowth)}`;
    out.push([
      `Peak memory, upload engine, ${mib(m.fileBytes)} blob`,
      `RSS ${mib(m.peak.rss)} (+${mib(m.peak.rss - m.baseline.rss)} over idle); array buffers ${mib(m.peak.arrayBuffers)}${makeUp(m)}`,
      `Azurite (repeated blocks) → engine → upload sink; idle RSS ${mib(m.baseline.rss)}; heap ${mib(m.peak.heapUsed)}; RSS after the run and a forced GC ${mib(m.after.rss)}; ${fixed(m.fileBytes / MiB / m.seconds)} MiB/s; worker CPU ${fixed(m.cpuSeconds, 1)} s (${fixed(m.cpuSeconds / (m.fileBytes / (1024 * MiB)), 2)} s per GiB)${growth}${runs}`,
    ]);
  }
  if (engine.length >= 2) {
    const [small, large] = [...engine].sort((a, b) => a.fileBytes - b.fileBytes);
    const delta = large.peak.rss - small.peak.rss;
    const overIdle = large.peak.rss - large.baseline.rss - (small.peak.rss - small.baseline.rss);
    out.push([
      `Peak RSS, ${mib(large.fileBytes)} vs ${mib(small.fileBytes)} blob`,
      `${signed(delta)} (goal within 10 MiB)`,
      `upload engine, ${mib(small.chunkBytes)} chunks; peaks ${mib(large.peak.rss)} and ${mib(small.peak.rss)}; over each worker's idle RSS ${signed(overIdle)}`,
    ]);
  }
  for (const p of [r.planning, r.planningManifest]) {
    if (!p) continue;
    out.push([
      `Planning rate, ${p.blobs.toLocaleString('en-US')}-blob container`,
      `${fixed(p.blobsPerSecond, 0)} blobs/s (${fixed(p.seconds)} s)`,
      `${p.pages} planner messages of ≤ 5,000 blobs; ${p.uploadTasks.toLocaleString('en-US')} upload tasks queued; Azurite ${p.azuriteLayout ?? 'one process'}${byProcess(p.first.azuriteCpuByProcess)}; ${listedAlone(p)}${liveHeap(p)}seeding took ${fixed(p.seedSeconds, 0)} s${p.seedCapped ? ` and was capped below the ${p.target.toLocaleString('en-US')} target` : ''}`,
    ]);
  }
  for (const c of r.requests) {
    // Per GiB means something only for runs that move real volume (not one 100 KiB file).
    const per = c.bytes >= 64 * MiB ? perGiB(c) : undefined;
    out.push([
      `Requests: ${c.label}`,
      `Graph ${c.graph}, Key Vault ${c.keyVault}${per ? `; per GiB: Graph ${fixed(per.graph, 0)}, Key Vault ${fixed(per.keyVault, 1)}` : ''}`,
      `${c.files} files / ${mib(c.bytes)} uploaded; Graph: ${kinds(c.graphByKind)}; Key Vault: ${kinds(c.keyVaultByKind)}`,
    ]);
  }
  for (const m of r.memory.filter((x) => x.graphRequests !== undefined)) {
    const gib = m.fileBytes / (1024 * MiB);
    out.push([
      `Requests: one ${mib(m.fileBytes)} file`,
      `Graph ${m.graphRequests} (${fixed(m.graphRequests! / gib, 0)} per GiB)`,
      'static token, so no Key Vault calls',
    ]);
  }
  return out;
}

/** "listed alone 12,000 blobs/s (at Node's default young generation 9,000); " when measured. */
function listedAlone(p: PlanningResult): string {
  if (!p.listing) return '';
  const atDefaults = p.listingAtDefaults
    ? ` (Azurite at Node's default young generation: ${fixed(p.listingAtDefaults.blobsPerSecond, 0)})`
    : '';
  return `listed alone ${fixed(p.listing.blobsPerSecond, 0)} blobs/s${atDefaults}; `;
}

/** ", its CPU-s Blob 1.2, Queue 0.3, Table 0.2" for a first run measured with a process per service. */
function byProcess(cpu: number[] | undefined): string {
  if (!cpu || cpu.length !== 3) return '';
  const [blob, queue, table] = cpu.map((s) => fixed(s, 2));
  return `, its CPU-s in the first run: Blob ${blob}, Queue ${queue}, Table ${table}`;
}

/** "heap in use after each pass 39, 38 and 38 MiB; " where the passes recorded it. */
function liveHeap(p: PlanningResult): string {
  const passes = [p.listing, p.first, p.rerun, p.firstRerun].filter((x) => x?.liveHeapMiB !== undefined);
  if (passes.length === 0) return '';
  return `heap in use after each pass (a full collection): ${passes.map((x) => fixed(x!.liveHeapMiB!, 0)).join(', ')} MiB; `;
}

/** What the figures reveal beyond their values (kept in the report, not just in a chat). */
function findings(r: Results): string {
  const unchanged = r.requests.find((c) => c.label.startsWith('second run'));
  if (!unchanged || (unchanged.files === 0 && unchanged.graph === 0)) return '';
  return `## Finding

The run with nothing changed uploaded ${unchanged.files} file(s) and made ${unchanged.graph} Graph
request(s) (${kinds(unchanged.graphByKind)}); an unchanged source should cost none. Compare the
planner's manifest check (ETag, size, MD5) with what the manifest stored for those files.

`;
}

const cell = (text: string): string => text.replace(/\|/g, '\\|');
const markdownTable = (head: string[], body: string[][]): string =>
  [head, head.map(() => '---'), ...body].map((row) => `| ${row.map(cell).join(' | ')} |`).join('\n');

function goalsTable(r: Results): string {
  return markdownTable(
    ['Goal', 'Target', 'Measured', 'Measured ÷ target', 'Met', 'How'],
    goalRows(r).map((g) => [g.goal, g.target, g.measured, g.ratio, g.met, g.detail]),
  );
}

const FIGURES: Array<{ key: keyof RunFigures; name: string; digits: number; skipRerun?: boolean }> = [
  { key: 'seconds', name: 'wall time (s)', digits: 2 },
  { key: 'mibPerSecond', name: 'MiB/s', digits: 1, skipRerun: true },
  { key: 'workerCpuSeconds', name: 'worker CPU (user + sys, s)', digits: 2 },
  { key: 'azuriteCpuSeconds', name: 'Azurite CPU (s)', digits: 2 },
  { key: 'graphRequests', name: 'Graph requests', digits: 0 },
  { key: 'storageRequests', name: 'storage requests (Azurite log)', digits: 0 },
];

function comparisonRows(job: JobComparison): string[][] {
  const show = (n: number | undefined, digits: number): string =>
    n === undefined ? 'n/a' : n.toFixed(digits);
  const runs = (side: JobComparison['product'] | undefined, key: keyof RunFigures, digits: number): string =>
    side ? side.runs.map((run) => show(run[key], digits)).join(', ') : '—';
  return FIGURES.filter((f) => !(f.skipRerun && job.kind === 'rerun')).map((f) => [
    job.label,
    f.name,
    show(job.product.median[f.key], f.digits),
    job.rclone ? show(job.rclone.median[f.key], f.digits) : 'not measured',
    job.ratios?.[f.key] === undefined ? '—' : job.ratios[f.key]!.toFixed(2),
    `${runs(job.product, f.key, f.digits)} / ${runs(job.rclone, f.key, f.digits)}`,
  ]);
}

function comparisonSection(r: Results): string {
  const c = r.rclone;
  if (!c) return 'Not measured in this run.\n';
  const mib = (n: number): string => `${Math.round(n / 1024 ** 2)} MiB`;
  const table = markdownTable(
    ['Job', 'Figure', 'Product (median)', 'rclone (median)', 'Product ÷ rclone', 'Runs: product / rclone'],
    c.jobs.flatMap(comparisonRows),
  );
  const front = c.front
    ? `The TLS front forwarded ${Object.entries(c.front.forwarded)
        .map(([host, n]) => `${n} requests for ${host}`)
        .join(', ')} and removed the Authorization header from ${c.front.authorizationStripped}.`
    : '';
  return `${c.skipped ? `**rclone was not measured:** ${c.skipped}. The product's figures below stand alone.\n\n` : ''}Product: the local host as the worker process (the whole function table, queue pollers with
host.json's semantics, tables and queues in Azurite, Key Vault and a signed-in connection through the
emulators), started with the admin API's run-now. rclone: ${c.rclone ?? 'not found'}, \`rclone copy\`
with its defaults from the same Azurite container into the same drive. Jobs: large blobs
${c.largeBytes.map(mib).join(' + ')} in ${mib(c.chunkBytes)} chunks; ${c.smallFiles.toLocaleString('en-US')} small blobs
(${mib(c.smallBytes)}); the unchanged rerun of the small job (rclone \`--size-only\`). ${c.rounds} rounds,
the two sides alternating and the first side alternating per round; medians figure by figure.
After each first run the bench counts the files and bytes in the destination folder and fails if
either side copied less. Load average on ${r.machine.cpus} CPUs: ${c.loadAverage.map((n) => n.toFixed(1)).join(' at the start, ')} at the end.

![Product vs rclone](${CHART_FILE})

${table}

${front}

How the two sides differ, so the ratios are read for what they are:

- **Timing.** The product's wall time is its run's own, from the run's creation by run-now to the
  end its completion records; rclone's is its process from start to exit, start-up included. The
  product's worker is a warm process (as a Functions instance is between runs); rclone starts anew
  each time. One untimed warm-up run of each side precedes the rounds.
- **CPU.** Product: the worker process's user + system time (\`/proc/<pid>/stat\`), which includes
  its idle queue polling during the run. rclone: its user + system time as its shell reports it.
  The TLS front rclone goes through runs in the bench process, is counted for neither side, and
  only adds a hop to rclone's path.
- **Verification.** The product computes the quickXorHash of every byte and compares it with the
  drive's, and keeps a manifest, run records and per-file rows in Table storage. rclone has no hash
  in common between Azure Blob (MD5) and OneDrive for Business (QuickXorHash), so it checks sizes
  only, and keeps no state: its rerun lists both sides instead.
- **Requests.** rclone 1.60 sends every non-empty file through an upload session
  (createUploadSession + PUT, dates in the session's \`fileSystemInfo\`); the product sends files up
  to 4 MiB with one PUT and sets the date with a PATCH. Both make about two Graph requests per
  small file.
- **Concurrency.** rclone: 4 transfers, 8 checkers (its defaults). Product: host.json's
  \`batchSize\` 4 and \`newBatchThreshold\` 2 (up to 6 messages in flight per queue).
- **Logging.** The worker formats its log lines and drops them; rclone at its default level writes
  nothing. Azurite logs every request (that is how they are counted) for both sides alike.
- **Load.** A product run is a chain of storage requests (the storage row above), each waiting
  for Azurite's process and then the worker's to be scheduled; rclone makes few. On a loaded
  machine that scheduling latency, more than CPU, sets the product's wall time: its wall times
  vary from round to round far more than its CPU time and request counts do (the runs column),
  and its wall-time ratios are worse the higher the load average.
`;
}

/**
 * Sections the bench parts fill, in order. A part's section returns undefined when it did not run,
 * and the page says so under the heading.
 */
const SECTIONS: Array<{ title: string; body: (r: Results) => string | undefined; notes: string }> = [
  {
    title: 'Planning and small files',
    body: (r) => (r.planning ? PLANNING_NOTES : undefined),
    notes: 'planning.md',
  },
  {
    title: 'Small files and unchanged reruns',
    body: (r) => smallFilesSection(r),
    notes: 'small-files.md',
  },
  {
    title: 'Large files: engine, hash and memory',
    body: (r) => (r.throughput || r.memory.length ? LARGE_FILE_NOTES : undefined),
    notes: 'large-files.md',
  },
  { title: 'Encryption', body: () => undefined, notes: 'encryption.md' },
  { title: 'Crash resume', body: (r) => crashSection(r), notes: 'crash-resume.md' },
];

/**
 * The analysis behind a section (profiles, before and after, what was tried): written by hand in
 * bench/notes/ with its own date and kept under the section, since a run of the bench measures the
 * figures again but cannot redo the investigation.
 */
function notes(file: string): string {
  const at = path.join(__dirname, 'notes', file);
  return existsSync(at) ? `\n### Analysis\n\n${readFileSync(at, 'utf8')}` : '';
}

/** Each kill of the crash part: files it interrupted, what they sent again, how soon they resumed. */
function crashSection(r: Results): string | undefined {
  const c = r.crash;
  if (!c) return undefined;
  const table = markdownTable(
    [
      'Kill',
      'Files interrupted',
      'Resent in chunks',
      'Most for one file',
      'Small files resent whole',
      'Kill to resume',
    ],
    c.kills.map((k) => [
      String(k.kill),
      String(k.filesInterrupted),
      `${fixed(k.sessionBytes / MiB)} MiB`,
      `${fixed(k.maxSessionBytesPerFile / MiB)} MiB (${fixed(k.maxSessionBytesPerFile / c.chunkBytes, 2)} chunks)`,
      `${fixed(k.simpleBytes / MiB, 2)} MiB`,
      k.firstResumeMs === undefined ? '—' : `${fixed(k.firstResumeMs / 1000)} s`,
    ]),
  );
  return `bench/crashResume.ts: the soak (scripts/soak.ts) with its kills alone: the local host in a child
process, SIGKILLed ${c.kills.length} times while a chunk PUT was on the wire and restarted each time, backing up
${c.files} files (${mib(c.bytes)}, ${mib(c.chunkBytes)} chunks). The Graph emulator's socket layer counts
every byte offered again and charges it to the kill that interrupted its file; no faults or
session expiries are injected. Run ${c.runStatus}, ${c.verifiedFiles} of ${c.files} files byte-identical in the
drive; ${fixed(c.bytesResent / MiB)} MiB resent in all (${fixed(c.resentOtherwise / MiB)} MiB not charged to a kill);
wall time ${fixed(c.wallSeconds, 0)} s. A killed task comes back when its queue lease ends (${c.leaseSeconds} s in the
soak's host; in Azure the Functions host's 10-minute lease), and "kill to resume" is until the
restarted host's first \`GET\` of an interrupted session (— when the kill's files were resumed only
after a later kill, or had nothing left to resume).

${table}
`;
}

/** The small-files part's passes and the unchanged rerun split into what a run and a page cost. */
function smallFilesSection(r: Results): string | undefined {
  if (!r.smallFiles?.length) return undefined;
  const passes = markdownTable(
    ['Pass', 'Files', 'Uploaded', 'Storage requests', 'Per file', 'Worker CPU (s)', 'Wall (s)'],
    r.smallFiles.map((p) => [
      p.label,
      String(p.files),
      String(p.uploadedFiles),
      `${p.storage.total} (blob ${p.storage.byService.blob ?? 0}, queue ${p.storage.byService.queue ?? 0}, table ${p.storage.byService.table ?? 0})`,
      p.perFile.toFixed(4),
      p.workerCpuSeconds.toFixed(2),
      p.seconds.toFixed(2),
    ]),
  );
  const c = r.smallFilesRerun;
  const split = c
    ? `\nThe unchanged rerun, ${c.total} requests in ${c.pages} page(s), again in ${c.smallPages} pages of ${c.smallPageFiles} whose digests were recorded: ${c.smallPagesTotal}. So a page adds ${c.perPage.toFixed(1)} requests whatever its size and a run costs ${c.fixed.toFixed(1)}: **${c.marginalPerFile.toPrecision(2)} per unchanged file** in pages of 5,000, the figure the goal row uses.${c.comparedTotal !== undefined && c.comparedPerPage !== undefined && c.comparedMarginalPerFile !== undefined ? ` At page positions no run had recorded (as after a run with a failure) the same rerun made ${c.comparedTotal}: a page compared with the manifest adds ${c.comparedPerPage.toFixed(1)}, a full page of 5,000 ${(c.comparedPerPage + 4).toFixed(1)} (its manifest rows in 5 query pages), ${c.comparedMarginalPerFile.toPrecision(2)} per file.` : ''}\n`
    : '';
  return `bench/smallFiles.ts: blobs of 4 KiB backed up by the real planner and uploader in the bench process
(real Azurite queues and tables through a counting proxy, the Graph emulator in its own process); a
first run, an unchanged rerun, and the rerun again in smaller listing pages (first at positions no
run had recorded, then with their digests).

${passes}
${split}`;
}

const PLANNING_NOTES = `The planner lists a container of tiny blobs in pages of 5,000 and checks each blob against the
manifest (a first run: every blob becomes an upload task, counted and not run). The container holds
100,000 blobs by default. They are written into Azurite's Blob metadata rather than put one by one
(bench/seed.ts): Azurite's Put Blob scans every blob the account already holds, so seeding through
it would take over an hour; seeding is not timed into the rate. The part runs on an Azurite of its
own with Blob, Queue and Table each in a process (as the real services never share a CPU; one Azurite
process would queue the listing behind the queue sends and Table writes on one core), after one
untimed listing of the container (Azurite's first listing in a process costs about a third more).
The rerun after a run with a failure needs a manifest row for every blob, and Azurite's cost per
Table row grows with its partition, so it is measured on a second container of 10,000 blobs.
`;

const LARGE_FILE_NOTES = `- **Upload throughput.** The upload engine (\`src/backup/upload\`: read-ahead, quickXorHash while
  streaming, verification of the returned item) uploads a file held in memory into the Graph
  emulator. The baseline is a plain client sending the same bytes to the same emulator in the same
  chunks: one \`createUploadSession\`, then each chunk PUT in order, nothing else, over the same
  wire with the same whole body as the engine (\`sendOverWire\` in src/graph/wire.ts). Both run alternately
  in the same process after a warm-up pass; the ratio is of the medians.
- **Peak memory.** A fresh worker process runs the real pipeline (scheduler, planner, uploader)
  to back up one blob from Azurite with 10 MiB chunks, sampling \`process.memoryUsage()\` every
  10 ms. The Graph emulator (which keeps every file in memory) and Azurite run in other processes,
  so the figure is the worker's own. "Over idle" is the peak minus the worker's RSS just before
  the run. A bounded worker shows the same peak for both sizes: a few chunks, not the file.
  Chunks live in array buffers, so that column is the engine's own figure; RSS adds the
  allocator's and the runtime's share. "Held" comes from a second fresh worker doing the same
  backup with a full collection forced every 50 ms and the array buffers sampled just after it:
  what the code still references, plus up to about a chunk that V8's concurrent sweeper has not
  released yet when the sample is taken. Heap snapshots taken at such peaks show exactly two
  chunks referenced (the one on the wire and the one read ahead) and no other large buffer; the
  rest of the peak is dead buffers V8 has not collected yet (it runs a full
  collection of array buffers when their total has grown by about 64 MiB since the last one, a
  constant, not a share of the file). The blob's bytes make none of it: each connection reads into
  one buffer of its own (\`onread\`, src/sources/socketHttpClient.ts) and every piece is copied from
  there to its place in the chunk. After the run and a forced collection the array buffers are back at idle, but
  RSS stays above idle: freed chunk-sized blocks stay with the C allocator for reuse rather than
  going back to the system, so that floor is reused by the next file, not a leak.
- **quickXorHash alone.** MiB hashed per CPU-second (\`bench/hash.ts\`), 10 MiB updates at an
  aligned and an odd offset, for the kernel the product runs (WebAssembly SIMD where the runtime has
  it) and the JavaScript fallback.
- **Peak memory, upload engine.** The uploader's engine and blob source alone, from a blob Azurite
  stores as a few repeated blocks into an upload sink that hashes and drops what it receives
  (\`bench/uploadSink.ts\`), at 256 MiB and 4 GiB: sizes the Graph emulator, which keeps every
  file in memory, cannot hold. Bounded memory means both peaks within a few MiB. Each size runs
  in three fresh workers (\`BENCH_MEM_RUNS\`) and the run with the median peak is shown: the peak
  is the maximum of a figure that swings by tens of MiB as V8 collects the download's socket
  pieces, and a fresh worker's idle RSS varies by several MiB, so one run per size could differ by
  more than the bound it checks. "At the RSS peak" is what the process held at that moment (the
  other figures are each one's own maximum); "late vs early" is the highest RSS of the run's last
  quarter minus that of its second, about 0 when nothing grows with the bytes sent.
`;

function sections(r: Results): string {
  return SECTIONS.map(
    ({ title, body, notes: file }) =>
      `## ${title}\n\n${body(r) ?? 'Not measured in this run.\n'}${notes(file)}`,
  ).join('\n');
}

export function printTable(r: Results): void {
  const data = rows(r);
  const width = Math.max(...data.map((row) => row[0].length));
  console.log(`\nBenchmarks on ${r.machine.cpus} CPUs, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}`);
  for (const [name, value, note] of data)
    console.log(`${name.padEnd(width)}  ${value}\n${''.padEnd(width)}  ${note}`);
  console.log('\nGoals');
  for (const g of goalRows(r))
    console.log(`  ${g.met.padEnd(3)} ${g.goal}: ${g.measured} (target ${g.target})`);
  for (const job of r.rclone?.jobs ?? [])
    for (const row of comparisonRows(job)) console.log(`  ${row.slice(0, 5).join(' | ')}`);
}

/**
 * Writes the page (formatted as the repository's Prettier settings format Markdown, so the lint
 * check passes on a freshly written page) and, when rclone was compared, its chart beside it.
 */
export function writeMarkdown(r: Results, file = path.join(__dirname, '..', 'docs', 'benchmarks.md')): void {
  const table = rows(r)
    .map((row) => `| ${row.map(cell).join(' | ')} |`)
    .join('\n');
  const m = r.machine;
  if (r.rclone?.jobs.length)
    writeFileSync(path.join(path.dirname(file), CHART_FILE), comparisonChart(r.rclone, m));
  const page = `# Benchmarks

Measured by \`npm run bench\` (bench/run.ts) on ${m.date.slice(0, 10)}.

**Machine:** ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB memory, Node ${m.node}, ${m.platform}.
Azurite, the emulators and the measured worker each ran in a process of their own on that machine,
with other work running alongside (load average ${m.loadAverage} on ${m.cpus} CPUs when the benchmark
started), so absolute speeds are indicative; ratios measured side by side and the memory bound are
the figures that matter.

## Goals

Each goal with the figure this run measured. A goal whose bench part did not run (or could not, as
the rclone comparison without an rclone binary) says so.

${goalsTable(r)}

## Product and rclone

${comparisonSection(r)}
## All figures

| Figure | Value | Detail |
| --- | --- | --- |
${table}

${findings(r)}${sections(r)}
## Requests

Graph requests and Key Vault calls counted from the emulators' request logs. The access token comes
from the real token service, which reads the refresh token and the client secret from the Key Vault
emulator and writes the rotated refresh token back (the token endpoint is a stand-in that always
rotates). The first run is a cold worker; later runs in the same worker reuse its cached access
token, so a warm worker makes no Key Vault call at all. The Key Vault count includes the SDK's first
unauthenticated request (answered 401 with the bearer challenge). Graph requests per GiB are
dominated by the chunk size (one PUT per 10 MiB) for large files and by the file count (one PUT
each) for files up to 4 MiB.

## Reproduce

\`\`\`
npm install
npm run bench
\`\`\`

It starts Azurite and the emulators itself, needs about 4 GiB of free memory (the emulators hold
the data) and rewrites this file and its chart. \`BENCH_ONLY=hash,throughput,memory,requests,planning,smallfiles,events,crypt,crash,rclone\`
runs a subset (the page then says which figures were not measured); \`BENCH_PLAN_BLOBS\` changes the
planning container's size (default 100000) and \`BENCH_PLAN_MANIFEST_BLOBS\` the second one, for the
rerun after a failure (default 10000, 0 for none; a first container of at most 20000 gets that
rerun itself). With \`BENCH_PLAN_AZURITE=shared\` the part runs on the bench's one-process Azurite,
seeded through Put Blob (stopped after 5 minutes; the figure says how many blobs it measured). The rclone comparison uses the \`rclone\` on PATH (\`BENCH_RCLONE\` names
another binary, or none when empty), \`BENCH_ROUNDS\` rounds (default 3),
\`BENCH_RCLONE_LARGE_MIB\` large blobs (default \`256,1024\`; \`64,256\` for a quicker run) and
\`BENCH_RCLONE_SMALL_FILES\` small ones (default 1000); \`BENCH_SMALL_FILES\` sizes the small-files
part (default 1000) and \`BENCH_THROUGHPUT_ROUNDS\` the engine's rounds against a plain PUT (default 5). \`BENCH_CPU_PROFILE=<dir>\` writes V8 CPU profiles (of each planning pass, and of
the comparison's worker for each product run), which \`npx tsx bench/profileTop.ts <file>\` sums up;
\`BENCH_STORAGE_LOG=<file>\` keeps the comparison's Azurite request lines with the time each was
read. The memory part's engine runs take \`BENCH_MEM_ENGINE_MIB\` sizes (default \`256,4096\`) in
\`BENCH_MEM_RUNS\` fresh workers each (default 3). Timings are never asserted in tests; this is the
only place they are recorded.
`;
  writeFileSync(file, page);
  // Prettier's CLI rather than its API: the API loads its plugins with a dynamic import, which Jest
  // (running the report's test) cannot do without an experimental flag.
  execFileSync(process.execPath, [
    require.resolve('prettier/bin/prettier.cjs'),
    '--log-level',
    'warn',
    '--write',
    file,
  ]);
}
