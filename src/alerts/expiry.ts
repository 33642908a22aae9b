// The client secret's expiry, evaluated purely from its `exp` and a clock: how many days are left,
// which warning threshold (if any) the secret is inside, and how severe that is. No I/O here, so
// every threshold can be tested by moving a clock.

export type Severity = 'info' | 'warning' | 'error' | 'critical';

/** The default thresholds (SECRET_EXPIRY_THRESHOLDS_DAYS); "expired" is always a level of its own. */
export const DEFAULT_THRESHOLDS_DAYS: readonly number[] = [30, 14, 7, 3, 1];

const DAY_MS = 86_400_000;

export type ExpiryEvaluation =
  /** Further from expiry than the widest threshold: nothing to say. */
  | { state: 'ok'; daysLeft: number; expiresOn: Date }
  /** Inside a threshold: `threshold` is the tightest one crossed (7 when 5 days are left). */
  | { state: 'due'; daysLeft: number; expiresOn: Date; threshold: number; severity: Severity }
  | { state: 'expired'; daysLeft: number; expiresOn: Date; severity: 'critical' }
  /** No `exp` recorded: nobody can tell when backups will stop, which is itself worth a warning. */
  | { state: 'unknown'; severity: 'warning' };

/**
 * Whole days left, rounded up: with 16 hours to go a person reads "1 day left", not "0 days". Zero
 * or less means expired.
 */
export function daysLeft(expiresOn: Date, now: Date): number {
  return Math.ceil((expiresOn.getTime() - now.getTime()) / DAY_MS);
}

/**
 * Thresholds sorted widest first, without duplicates. 0 is dropped: with days rounded up, 0 days
 * left means expired, which always has its own level.
 */
export function normalizeThresholds(thresholds: readonly number[]): number[] {
  return [...new Set(thresholds.filter((t) => Number.isInteger(t) && t > 0))].sort((a, b) => b - a);
}

/**
 * Severity rises as expiry nears. Tied to days rather than to a threshold's rank so that a person
 * who configures other thresholds still gets a sensible scale.
 */
export function severityFor(days: number): Severity {
  if (days <= 0) return 'critical';
  if (days <= 3) return 'error';
  if (days <= 14) return 'warning';
  return 'info';
}

export function evaluateExpiry(
  expiresOn: Date | undefined,
  now: Date,
  thresholds: readonly number[] = DEFAULT_THRESHOLDS_DAYS,
): ExpiryEvaluation {
  if (!expiresOn || Number.isNaN(expiresOn.getTime())) return { state: 'unknown', severity: 'warning' };
  const left = daysLeft(expiresOn, now);
  if (left <= 0) return { state: 'expired', daysLeft: left, expiresOn, severity: 'critical' };
  // The tightest threshold that still contains `left` (sorted widest first, so the last match).
  const crossed = normalizeThresholds(thresholds).filter((t) => left <= t);
  if (crossed.length === 0) return { state: 'ok', daysLeft: left, expiresOn };
  const threshold = crossed[crossed.length - 1];
  return { state: 'due', daysLeft: left, expiresOn, threshold, severity: severityFor(threshold) };
}

/**
 * The dedupe row key of an evaluation for one secret version: each threshold once per version, an
 * unknown expiry once per day (a daily nudge until someone records the date). A new version gets
 * new keys, so renewing the secret resets every threshold.
 */
export function expiryDedupeKey(
  evaluation: ExpiryEvaluation,
  version: string,
  now: Date,
): string | undefined {
  const v = version || 'unversioned';
  switch (evaluation.state) {
    case 'ok':
      return undefined;
    case 'due':
      return `${v}-d${evaluation.threshold}`;
    case 'expired':
      return `${v}-expired`;
    case 'unknown':
      return `${v}-unknown-${now.toISOString().slice(0, 10)}`;
  }
}
