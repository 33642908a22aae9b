// Sizes typed on the command line: "10MiB", "320KiB", "10M" (rclone's shorthand, also binary) or a
// plain number of bytes. Only binary units: OneDrive's rule is a multiple of 320 KiB (327,680 bytes),
// which a decimal "320KB" (320,000 bytes) would silently miss.
import { UsageError } from './command';

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kib: 1024, m: 1024 ** 2, mib: 1024 ** 2 };

/** Bytes for `text`; a UsageError against `option` when it is not a size. */
export function parseSize(text: string, option: string): number {
  const match = /^(\d+)\s*([a-z]*)$/i.exec(text.trim());
  const unit = match?.[2]?.toLowerCase() ?? '';
  if (!match || !(unit in UNITS)) {
    const decimal = /^(kb|mb)$/.test(unit) ? ` (${match![2]} is decimal: use KiB or MiB)` : '';
    throw new UsageError(
      `--${option}: expected bytes or a size like 10MiB, 320KiB or 10M, got '${text}'${decimal}`,
    );
  }
  return Number(match[1]) * UNITS[unit]!;
}
