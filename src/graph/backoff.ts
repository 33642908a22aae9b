// Throttling is counted per app and per tenant, not per request: when Graph answers one upload
// with 429 and Retry-After, every other upload of the same connection that keeps sending during
// that wait is throttled too and, as Microsoft warns, prolongs the throttling. So the wait is
// shared: a throttled answer records "not before T" under the connection's key, and every request
// of that connection (graphCall and the upload session's chunks) waits until T before it is sent.
//
// The gate lives in the process, not on the connection's table row. A row would let other
// instances see it, but it would cost a table read before every Graph request and a write per
// 429, and Retry-After is a few seconds: each instance learns it from its own first throttled
// answer sooner than a row could tell it. On Flex Consumption a handful of instances run a
// connection's uploads, so the cost of the in-process choice is one 429 per instance, not one per file.

export class SharedBackoff {
  private readonly notBefore = new Map<string, number>();

  /** Records that `key`'s requests must not be sent before `until` (epoch ms); keeps the later time. */
  hold(key: string, until: number): void {
    if (until > (this.notBefore.get(key) ?? 0)) this.notBefore.set(key, until);
  }

  /** How long a request of `key` must still wait at `now` (0 when it may go). */
  waitFor(key: string, now: number): number {
    const until = this.notBefore.get(key);
    if (until === undefined) return 0;
    if (until <= now) {
      this.notBefore.delete(key);
      return 0;
    }
    return until - now;
  }
}

/** The process's one gate, shared by every upload and restore worker in it. */
export const processBackoff = new SharedBackoff();
