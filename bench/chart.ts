// The product against rclone as an SVG bar chart: one row per job, wall time and worker CPU side by
// side, product and rclone bars scaled to the larger of the two in each panel, values written on
// the bars. Hand-written SVG rather than a chart library: a dozen rectangles and labels, a static
// file GitHub renders in docs/, and no dependency (or headless browser) for the bench to pull in.
import type { RcloneComparison } from './rclone/compare';
import type { Machine } from './machine';

const WIDTH = 880;
const LEFT = 230;
const PANEL = 300;
const GAP = 40;
const ROW = 78;
const BAR = 22;
const TOP = 64;
const COLOURS = { product: '#2f6fb3', rclone: '#d9822b' };

const escape = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function text(x: number, y: number, content: string, attrs = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${escape(content)}</text>`;
}

const value = (n: number | undefined, unit: string): string =>
  n === undefined ? 'n/a' : `${n >= 10 ? n.toFixed(1) : n.toFixed(2)} ${unit}`;

export function comparisonChart(c: RcloneComparison, machine: Machine): string {
  const jobs = c.jobs;
  const height = TOP + jobs.length * ROW + 40;
  const parts: string[] = [];
  parts.push(
    text(
      16,
      24,
      'azure-onedrive-backup vs rclone: same jobs, same Azurite and Graph emulator',
      'font-size="16" font-weight="bold"',
    ),
    text(
      16,
      44,
      `${machine.date.slice(0, 10)}, ${machine.cpus} CPUs (${machine.cpuModel}), Node ${machine.node}, load average ${c.loadAverage.map((n) => n.toFixed(1)).join('–')}; ${c.rclone ?? 'rclone not found'}; medians of ${c.rounds} alternating rounds`,
      'font-size="11" fill="#444"',
    ),
  );
  const panels = [
    { title: 'wall time (s), shorter is better', key: 'seconds' as const, unit: 's' },
    { title: 'worker CPU (s), shorter is better', key: 'workerCpuSeconds' as const, unit: 'CPU-s' },
  ];
  panels.forEach((panel, i) => {
    const x = LEFT + i * (PANEL + GAP);
    parts.push(text(x, TOP - 6, panel.title, 'font-size="12" fill="#222"'));
  });
  jobs.forEach((job, row) => {
    const y = TOP + row * ROW;
    parts.push(text(16, y + BAR, job.kind, 'font-size="13" font-weight="bold"'));
    // The label can be long: wrap it after the first comma-separated part that fits.
    const words = job.label.split(', ');
    parts.push(text(16, y + BAR + 16, words[0], 'font-size="10" fill="#555"'));
    if (words.length > 1)
      parts.push(text(16, y + BAR + 29, words.slice(1).join(', '), 'font-size="10" fill="#555"'));
    panels.forEach((panel, i) => {
      const x = LEFT + i * (PANEL + GAP);
      const p = job.product.median[panel.key];
      const r = job.rclone?.median[panel.key];
      const max = Math.max(p ?? 0, r ?? 0) || 1;
      const bars: Array<['product' | 'rclone', number | undefined]> = [
        ['product', p],
        ['rclone', r],
      ];
      bars.forEach(([who, v], k) => {
        const by = y + 4 + k * (BAR + 4);
        const w = v === undefined ? 0 : Math.max(1, (v / max) * (PANEL - 90));
        parts.push(
          `<rect x="${x}" y="${by}" width="${w.toFixed(1)}" height="${BAR}" fill="${COLOURS[who]}"><title>${escape(`${who}: ${value(v, panel.unit)}`)}</title></rect>`,
          text(x + w + 4, by + BAR - 6, `${who} ${value(v, panel.unit)}`, 'font-size="11"'),
        );
      });
    });
    parts.push(`<line x1="16" x2="${WIDTH - 16}" y1="${y + ROW - 8}" y2="${y + ROW - 8}" stroke="#ddd"/>`);
  });
  parts.push(
    text(
      16,
      height - 14,
      'Worker CPU: the product worker process (local host) or the rclone process, user + system. Bars in each panel are scaled to its larger value.',
      'font-size="10" fill="#555"',
    ),
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif">
<rect width="100%" height="100%" fill="#fff"/>
${parts.join('\n')}
</svg>
`;
}
