// The benchmark's output: a table on the console and docs/benchmarks.md with the same figures, the
// machine, the date and how to reproduce them.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Machine } from './machine';
import type { HashResult } from './hash';
import type { MemoryResult } from './memory';
import type { PlanningResult } from './planning';
import { perGiB, type RunCount } from './requests';
import type { ThroughputResult } from './throughput';

export interface Results {
  machine: Machine;
  hash?: HashResult;
  throughput?: ThroughputResult;
  memory: MemoryResult[];
  planning?: PlanningResult;
  requests: RunCount[];
}

const MiB = 1024 * 1024;
const mib = (bytes: number): string => `${(bytes / MiB).toFixed(0)} MiB`;
const fixed = (n: number, digits = 1): string => n.toFixed(digits);
const list = (values: number[]): string => values.map((v) => fixed(v, 0)).join(', ');
const kinds = (byKind: Record<string, number>): string =>
  Object.entries(byKind)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ×${n}`)
    .join(', ') || '—';

/** Rows of [figure, value, note], shared by the console table and the markdown. */
function rows(r: Results): string[][] {
  const out: string[][] = [];
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
      `${mib(t.bytes)} file, ${mib(t.chunkBytes)} chunks, ${t.rounds} rounds; engine MiB/s: ${list(t.engineMiBps)}; plain MiB/s: ${list(t.plainMiBps)}; worker CPU per GiB: engine ${fixed(t.engineCpuSecondsPerGiB, 2)} s, plain PUT ${fixed(t.plainCpuSecondsPerGiB, 2)} s`,
    ]);
  }
  for (const m of r.memory.filter((x) => x.target === 'pipeline')) {
    const chunks = (bytes: number): string => `${fixed(bytes / m.chunkBytes)} chunks`;
    const held = m.livePeak
      ? `, of which held ${mib(m.livePeak.arrayBuffers)} (${chunks(m.livePeak.arrayBuffers)})`
      : '';
    out.push([
      `Peak memory, ${mib(m.fileBytes)} blob`,
      `RSS ${mib(m.peak.rss)} (+${mib(m.peak.rss - m.baseline.rss)} over idle); array buffers ${mib(m.peak.arrayBuffers)} (${chunks(m.peak.arrayBuffers)})${held}`,
      `idle worker RSS ${mib(m.baseline.rss)}; heap ${mib(m.peak.heapUsed)}, external ${mib(m.peak.external)}; RSS after the run and a forced GC ${mib(m.after.rss)} (+${mib(m.after.rss - m.baseline.rss)}); ${mib(m.chunkBytes)} chunks; ${fixed(m.fileBytes / MiB / m.seconds)} MiB/s Azurite → worker → Graph emulator; worker CPU ${fixed(m.cpuSeconds / (m.fileBytes / (1024 * MiB)), 2)} s per GiB; ${m.graphRequests ?? 0} Graph requests`,
    ]);
  }
  const engine = r.memory.filter((x) => x.target === 'engine');
  for (const m of engine) {
    out.push([
      `Peak memory, upload engine, ${mib(m.fileBytes)} blob`,
      `RSS ${mib(m.peak.rss)} (+${mib(m.peak.rss - m.baseline.rss)} over idle); array buffers ${mib(m.peak.arrayBuffers)}`,
      `Azurite (repeated blocks) → engine → upload sink; idle RSS ${mib(m.baseline.rss)}; heap ${mib(m.peak.heapUsed)}; RSS after the run and a forced GC ${mib(m.after.rss)}; ${fixed(m.fileBytes / MiB / m.seconds)} MiB/s; worker CPU ${fixed(m.cpuSeconds, 1)} s (${fixed(m.cpuSeconds / (m.fileBytes / (1024 * MiB)), 2)} s per GiB)`,
    ]);
  }
  if (engine.length >= 2) {
    const [small, large] = [...engine].sort((a, b) => a.fileBytes - b.fileBytes);
    const delta = large.peak.rss - small.peak.rss;
    out.push([
      `Peak RSS, ${mib(large.fileBytes)} vs ${mib(small.fileBytes)} blob`,
      `${delta >= 0 ? '+' : '−'}${fixed(Math.abs(delta) / MiB, 1)} MiB (goal within 10 MiB)`,
      `upload engine, ${mib(small.chunkBytes)} chunks; peaks ${mib(large.peak.rss)} and ${mib(small.peak.rss)}`,
    ]);
  }
  if (r.planning) {
    const p = r.planning;
    out.push([
      `Planning rate, ${p.blobs.toLocaleString('en-US')}-blob container`,
      `${fixed(p.blobsPerSecond, 0)} blobs/s (${fixed(p.seconds)} s)`,
      `${p.pages} planner messages of ≤ 5,000 blobs; ${p.uploadTasks.toLocaleString('en-US')} upload tasks queued; seeding took ${fixed(p.seedSeconds, 0)} s${p.seedCapped ? ` and was capped below the ${p.target.toLocaleString('en-US')} target` : ''}`,
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

export function printTable(r: Results): void {
  const data = rows(r);
  const width = Math.max(...data.map((row) => row[0].length));
  console.log(`\nBenchmarks on ${r.machine.cpus} CPUs, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}`);
  for (const [name, value, note] of data)
    console.log(`${name.padEnd(width)}  ${value}\n${''.padEnd(width)}  ${note}`);
}

export function writeMarkdown(r: Results, file = path.join(__dirname, '..', 'docs', 'benchmarks.md')): void {
  const table = rows(r)
    .map((row) => `| ${row.map((cell) => cell.replace(/\|/g, '\\|')).join(' | ')} |`)
    .join('\n');
  const m = r.machine;
  writeFileSync(
    file,
    `# Benchmarks

Measured by \`npm run bench\` (bench/run.ts) on ${m.date.slice(0, 10)}.

**Machine:** ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB memory, Node ${m.node}, ${m.platform}.
Azurite, the Graph emulator and the measured worker each ran in a process of their own on that
machine, with other work running alongside (load average ${m.loadAverage} on ${m.cpus} CPUs when the
benchmark started), so absolute speeds are indicative; the ratio and the memory bound are the
figures that matter.

| Figure | Value | Detail |
| --- | --- | --- |
${table}

${findings(r)}## What each figure measures

- **Upload throughput.** The upload engine (\`src/backup/upload\`: read-ahead, quickXorHash while
  streaming, verification of the returned item) uploads a file held in memory into the Graph
  emulator. The baseline is a plain client sending the same bytes to the same emulator in the same
  chunks: one \`createUploadSession\`, then each chunk PUT in order, nothing else. Both run
  alternately in the same process after a warm-up pass; the ratio is of the medians.
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
  constant, not a share of the file), mostly the 64 KiB pieces each socket read allocates while a
  chunk downloads. After the run and a forced collection the array buffers are back at idle, but
  RSS stays above idle: freed chunk-sized blocks stay with the C allocator for reuse rather than
  going back to the system, so that floor is reused by the next file, not a leak.
- **quickXorHash alone.** MiB hashed per CPU-second (\`bench/hash.ts\`), 10 MiB updates at an
  aligned and an odd offset, for the kernel the product runs (WebAssembly SIMD where the runtime has
  it) and the JavaScript fallback.
- **Peak memory, upload engine.** The uploader's engine and blob source alone, from a blob Azurite
  stores as a few repeated blocks into an upload sink that hashes and drops what it receives
  (\`bench/uploadSink.ts\`), at 256 MiB and 4 GiB: sizes the Graph emulator, which keeps every
  file in memory, cannot hold. Bounded memory means both peaks within a few MiB.
- **Planning rate.** The planner lists a container of tiny blobs in pages of 5,000 and checks each
  blob against the manifest (a first run: every blob becomes an upload task, counted and not run).
  Seeding is not timed into the rate.
- **Requests.** Graph requests and Key Vault calls counted from the emulators' request logs. The
  access token comes from the real token service, which reads the refresh token and the client
  secret from the Key Vault emulator and writes the rotated refresh token back (the token endpoint is
  a stand-in that always rotates). The first run is a cold worker; later runs in the same worker
  reuse its cached access token, so a warm worker makes no Key Vault call at all. The Key Vault
  count includes the SDK's first unauthenticated request (answered 401 with the bearer challenge).
  Graph requests per GiB are dominated by the chunk size (one PUT per 10 MiB) for large files and
  by the file count (one PUT each) for files up to 4 MiB.

## Variance

The machine was shared with other work, so throughput moves with its load: run it on an idle
machine for a stable ratio. The engine hashes each 10 MiB chunk (quickXorHash) on the main thread
while its PUT is on the wire, a few per cent of its time. The plain baseline sends each chunk with
the same copy-free streamed body as the engine (\`streamedBody\` in src/graph/http.ts),
so the ratio measures the engine's own work: read-ahead, hashing and its bookkeeping. The planning container is
capped by the 5-minute seeding budget when seeding is slow; planning is per page, so the rate does
not depend on the container's size.

## Reproduce

\`\`\`
npm install
npm run bench
\`\`\`

It starts Azurite and the Graph emulator itself, takes a few minutes (seeding the planning
container is the longest part), needs about 3 GiB of free memory (the emulators hold the data),
and rewrites this file. \`BENCH_ONLY=hash,throughput,memory,requests,planning\` runs a subset (this file
is then written with only those figures); \`BENCH_PLAN_BLOBS\` changes the planning container's size
(default 100000; seeding stops after 5 minutes and the figure says how many blobs it measured).
Timings are never asserted in tests; this is the only place they are recorded.
`,
  );
}
