// Plain-text formatting shared by the commands: sizes, rates and aligned tables. No colours or
// escape codes here, so output stays readable in a pipe, a log file or a CI job; server-provided
// text is made terminal-safe (./safeText.ts) on its way out.
import { writeLine, writeLines, type CliIO } from './command';
import { safeJson, safeText } from './safeText';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(bytes: number | undefined): string {
  let value = Math.max(0, bytes ?? 0);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${UNITS[unit]}`;
}

export function formatRate(bytesPerSecond: number | undefined): string {
  return `${formatBytes(Math.round(bytesPerSecond ?? 0))}/s`;
}

/** Columns padded to the widest cell; an empty list prints `empty` instead. */
export function printTable(io: CliIO, headers: string[], rows: string[][], empty: string): void {
  if (rows.length === 0) {
    writeLine(io.stdout, empty);
    return;
  }
  // Cleaned before measuring, so a removed control cannot skew the columns.
  rows = rows.map((r) => r.map((c) => safeText(c ?? '')));
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : (c ?? '').padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  writeLine(io.stdout, line(headers));
  for (const row of rows) writeLine(io.stdout, line(row));
}

export function printJson(io: CliIO, value: unknown): void {
  // JSON.stringify escapes C0 controls in strings; safeJson escapes what it leaves raw (C1, bidi).
  writeLines(io.stdout, safeJson(JSON.stringify(value, null, 2)));
}
