// Where a V8 CPU profile's time goes: `npx tsx bench/profileTop.ts <file.cpuprofile> [rows]` prints
// the top functions by self time, the top by inclusive time (a function counted once per sample
// however deep it recurses), and self time by package or source folder. What the notes in
// bench/notes/ quote; chrome://inspect shows the same profile as a flame chart.
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function where(url: string): string {
  if (!url) return '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return url;
  const src = /\/(src|bench|emulators)\/(.*)$/.exec(url);
  return src ? `${src[1]}/${src[2].split('/').slice(0, -1).join('/') || '.'}` : url;
}

function main(): void {
  const [file, rowsArg] = process.argv.slice(2);
  const rows = Number(rowsArg ?? 25);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const sampleUs = new Map<number, number>();
  profile.samples.forEach((id, i) =>
    sampleUs.set(id, (sampleUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)),
  );
  const label = (n: Node): string =>
    `${n.callFrame.functionName || '(anonymous)'} ${where(n.callFrame.url)}${n.callFrame.url ? `:${n.callFrame.lineNumber + 1}` : ''}`;
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const byWhere = new Map<string, number>();
  let total = 0;
  let idle = 0;
  // The profiler's own start and stop calls (node:inspector's post) are not the worker's work.
  const inspector = (id: number): boolean => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at))
      if (byId.get(at)!.callFrame.url === 'node:inspector') return true;
    return false;
  };
  for (const [id, us] of sampleUs) {
    const node = byId.get(id)!;
    if (inspector(id)) continue;
    total += us;
    if (node.callFrame.functionName === '(idle)') idle += us;
    self.set(label(node), (self.get(label(node)) ?? 0) + us);
    const w = node.callFrame.url ? where(node.callFrame.url) : node.callFrame.functionName;
    byWhere.set(w, (byWhere.get(w) ?? 0) + us);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const l = label(byId.get(at)!);
      if (seen.has(l)) continue;
      seen.add(l);
      inclusive.set(l, (inclusive.get(l) ?? 0) + us);
    }
  }
  const busy = total - idle;
  const pct = (us: number): string => `${((100 * us) / busy).toFixed(1).padStart(5)} %`;
  const top = (m: Map<string, number>, skip: (k: string) => boolean): string[] =>
    [...m]
      .filter(([k]) => !skip(k))
      .sort((a, b) => b[1] - a[1])
      .slice(0, rows)
      .map(([k, us]) => `${pct(us)}  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`);
  const notIdle = (k: string): boolean => k.startsWith('(idle)') || k.startsWith('(root)');
  console.log(
    `${file}: ${(total / 1000).toFixed(0)} ms sampled, busy ${(busy / 1000).toFixed(0)} ms (percentages of busy)`,
  );
  console.log('\nSelf time by function:');
  console.log(top(self, notIdle).join('\n'));
  console.log('\nInclusive time by function:');
  console.log(top(inclusive, (k) => notIdle(k) || k.startsWith('(program)')).join('\n'));
  console.log('\nSelf time by package or folder:');
  console.log(top(byWhere, (k) => k === '(idle)' || k === '(root)').join('\n'));
}

main();
