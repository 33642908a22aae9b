// Times, durations and rates as a person reads them: UTC beside the browser's own time, "3 min
// ago", "1 min 20 s". Pure functions, so the unit tests can pin the wording.

const pad = (n: number): string => String(n).padStart(2, '0');

/** "2026-12-01 14:05 UTC" */
export function fmtUtc(date: Date): string {
  return (
    date.getUTCFullYear() +
    '-' +
    pad(date.getUTCMonth() + 1) +
    '-' +
    pad(date.getUTCDate()) +
    ' ' +
    pad(date.getUTCHours()) +
    ':' +
    pad(date.getUTCMinutes()) +
    ' UTC'
  );
}

/** The same moment in the browser's time zone, e.g. "15:05 CET" or "Tue 03:30 GMT+1". */
export function fmtLocal(date: Date, now: Date = new Date()): string {
  const sameDay = date.toDateString() === now.toDateString();
  return date.toLocaleString(undefined, {
    weekday: sameDay ? undefined : 'short',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
  });
}

/** "1 h 5 min", "2 min 3 s", "12 s"; never negative. */
export function fmtDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return s + ' s';
  const m = Math.floor(s / 60);
  if (m < 60) return m + ' min' + (s % 60 ? ' ' + (s % 60) + ' s' : '');
  const h = Math.floor(m / 60);
  if (h < 48) return h + ' h' + (m % 60 ? ' ' + (m % 60) + ' min' : '');
  return Math.floor(h / 24) + ' days';
}

/** "just now", "5 min ago", "in 3 h": a moment relative to now. */
export function fmtRelative(date: Date, now: Date = new Date()): string {
  const ms = date.getTime() - now.getTime();
  if (Math.abs(ms) < 45_000) return ms < 0 ? 'just now' : 'in under a minute';
  const text = fmtDuration(Math.abs(ms))
    .replace(/ \d+ s$/, '')
    .replace(/ \d+ min$/, '');
  return ms < 0 ? text + ' ago' : 'in ' + text;
}

export function parseTime(iso: string | undefined): Date | undefined {
  if (!iso) return undefined;
  const d = new Date(iso);
  return isNaN(d.getTime()) ? undefined : d;
}
