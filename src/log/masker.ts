// The set of secret values the logger masks wherever they appear. Only the product registers values
// here (codes after their state was validated, tokens from the token endpoint, secrets read from Key
// Vault), yet the set is still bounded: entries expire by age since they were last registered, and
// the oldest go first past a count and a character budget, so no caller can grow memory without end.
//
// Masking a line costs O(line length), whatever the set's size: every value is indexed by its last
// MIN_SECRET_LENGTH characters, so scanning a line is one map lookup per position plus a check of the
// (normally single) value sharing that tail. The index changes with each registration; nothing is
// rebuilt per line. Suffixes, not prefixes, are the key because JWTs share long common prefixes
// (`eyJ0eXAiOiJKV1Qi…`) while their signatures, at the end, are random.

/** Shorter values are never registered: they would mask ordinary words such as a field name. */
export const MIN_SECRET_LENGTH = 8;
export const MASK = '[redacted]';

export interface MaskerLimits {
  /** Most values kept; the least recently registered goes first. */
  maxEntries: number;
  /** Most characters over all values kept (bounds memory when values are long). */
  maxTotalChars: number;
  /** A value not registered again for this long is forgotten. */
  maxAgeMs: number;
  /** Longer values are not registered (a log line is truncated long before that). */
  maxValueLength: number;
}

export const DEFAULT_MASKER_LIMITS: MaskerLimits = {
  maxEntries: 10_000,
  maxTotalChars: 8 * 1024 * 1024,
  // Users of long-lived secrets (the client secret, refresh tokens) register them again on each use.
  maxAgeMs: 24 * 3600_000,
  maxValueLength: 64 * 1024,
};

export class SecretMasker {
  /** Value → time it was last registered; Map order is registration order (oldest first). */
  private readonly entries = new Map<string, number>();
  /** Last MIN_SECRET_LENGTH characters → the values ending with them. */
  private readonly byTail = new Map<string, string[]>();
  private totalChars = 0;
  /** Registered values compared against a line so far: tests check it does not grow with the set. */
  comparisons = 0;

  constructor(
    private readonly limits: MaskerLimits = DEFAULT_MASKER_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  register(value: string | undefined | null): void {
    if (typeof value !== 'string') return;
    if (value.length < MIN_SECRET_LENGTH || value.length > this.limits.maxValueLength) return;
    const now = this.now();
    if (this.entries.has(value)) {
      // Refresh its age and move it to the young end.
      this.entries.delete(value);
      this.entries.set(value, now);
    } else {
      this.entries.set(value, now);
      this.totalChars += value.length;
      const tail = value.slice(-MIN_SECRET_LENGTH);
      const bucket = this.byTail.get(tail);
      if (bucket) bucket.push(value);
      else this.byTail.set(tail, [value]);
    }
    this.evict(now);
  }

  /** `text` with every registered value that occurs in it replaced by MASK (overlaps merged). */
  mask(text: string): string {
    this.evict(this.now());
    if (this.entries.size === 0 || text.length < MIN_SECRET_LENGTH) return text;
    const spans: Array<[number, number]> = [];
    for (let end = MIN_SECRET_LENGTH; end <= text.length; end++) {
      const bucket = this.byTail.get(text.slice(end - MIN_SECRET_LENGTH, end));
      if (!bucket) continue;
      let start = end;
      for (const value of bucket) {
        this.comparisons++;
        const from = end - value.length;
        if (from >= 0 && from < start && text.startsWith(value, from)) start = from;
      }
      if (start < end) spans.push([start, end]);
    }
    if (spans.length === 0) return text;
    // Merge spans that overlap (one may start before another that ends earlier), so no fragment of
    // a value survives between two masks.
    spans.sort((a, b) => a[0] - b[0]);
    let out = '';
    let cursor = 0;
    let [openStart, openEnd] = spans[0];
    for (const [start, end] of spans.slice(1)) {
      if (start <= openEnd) openEnd = Math.max(openEnd, end);
      else {
        out += text.slice(cursor, openStart) + MASK;
        cursor = openEnd;
        [openStart, openEnd] = [start, end];
      }
    }
    return out + text.slice(cursor, openStart) + MASK + text.slice(openEnd);
  }

  private evict(now: number): void {
    for (const [value, at] of this.entries) {
      const over = this.entries.size > this.limits.maxEntries || this.totalChars > this.limits.maxTotalChars;
      if (!over && now - at <= this.limits.maxAgeMs) break;
      this.remove(value);
    }
  }

  private remove(value: string): void {
    this.entries.delete(value);
    this.totalChars -= value.length;
    const tail = value.slice(-MIN_SECRET_LENGTH);
    const bucket = this.byTail.get(tail);
    if (!bucket) return;
    const rest = bucket.filter((v) => v !== value);
    if (rest.length > 0) this.byTail.set(tail, rest);
    else this.byTail.delete(tail);
  }
}

/** The process-wide masker the logger uses. */
export const secretMasker = new SecretMasker();
