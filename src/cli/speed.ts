// The current transfer speed and the time left, from the byte counts seen at each poll. The run's
// average speed hides a stall or a burst; the current one is measured over the last few seconds
// only, as rclone shows it, and the ETA divides what is left by it.
const WINDOW_MS = 5_000;

export class SpeedMeter {
  private samples: Array<{ at: number; bytes: number }> = [];

  /** Records the bytes done at `at` (ms); counts that go backwards (a retried chunk) restart the window. */
  add(at: number, bytes: number): void {
    const last = this.samples.at(-1);
    if (last && bytes < last.bytes) this.samples = [];
    this.samples.push({ at, bytes });
    // Keep one sample older than the window, so the window is always spanned when polls are slow.
    while (this.samples.length > 2 && this.samples[1]!.at <= at - WINDOW_MS) this.samples.shift();
  }

  /** Bytes per second over the last few seconds; undefined until two samples span some time. */
  current(): number | undefined {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || last.at <= first.at) return undefined;
    return ((last.bytes - first.bytes) * 1000) / (last.at - first.at);
  }

  /** Seconds until `remaining` bytes are done at the current speed; undefined when it cannot be told. */
  eta(remaining: number): number | undefined {
    const speed = this.current();
    if (!speed || speed <= 0 || remaining <= 0) return undefined;
    return remaining / speed;
  }
}

/** "0:07", "12:34", "1:02:03". */
export function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}
