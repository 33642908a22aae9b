// nextExpectedRanges: the server's view of what it still needs, e.g. ["26-"] or ["0-99", "200-"].
// Uploads here are strictly sequential, so the first byte of the first range is where to go on.

/** First byte the server expects, `total` when it expects nothing more, undefined when unreadable. */
export function firstExpectedByte(ranges: unknown, total: number): number | undefined {
  if (!Array.isArray(ranges)) return undefined;
  if (ranges.length === 0) return total;
  const first = String(ranges[0]);
  const match = /^(\d+)-(\d*)$/.exec(first.trim());
  if (!match) return undefined;
  const start = Number(match[1]);
  return start >= 0 && start <= total ? start : undefined;
}
