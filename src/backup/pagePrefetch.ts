// The next page of a run's source, listed while the planner writes the current one. A page's plan
// is a chain: list, compare with the manifest, queue tasks, record the page, queue the next page's
// message; the next listing would only start when that message is taken. Listing a large page is
// the slowest link (Azurite spends about half a CPU-second on 5,000 blobs; the real service its
// own latency), so the planner starts it as soon as it knows the next continuation token, and the
// next page's message, taken in this process, finds it listed or under way.
//
// A prefetched page is only used for the exact page it was listed for: same job and source, same
// run, page number and continuation token, same page size. The message for it is bound to its run
// before its listing is used (./planBinding.ts), so a prefetched listing never answers a message
// its run did not expect. A listing taken a moment before its message is taken is as valid as one
// taken after (a listing is never a snapshot of the container); one older than `maxAgeMs` is not
// used, and one that failed is listed again. At most `maxPages` are held, so memory stays bounded
// by a few pages whatever the number of runs planning at once; when the next message goes to
// another instance, the cost is one listing request here.
import type { Clock } from '../runtime/clock';
import type { Job } from '../store/jobs';
import type { SourcePage } from '../sources/types';

export interface PageRef {
  job: Job;
  runId: string;
  page: number;
  continuationToken: string | undefined;
  pageSize: number;
}

interface Held {
  at: number;
  listing: Promise<SourcePage>;
}

export class PagePrefetch {
  private readonly held = new Map<string, Held>();

  constructor(
    private readonly clock: Clock,
    private readonly maxPages = 4,
    private readonly maxAgeMs = 30_000,
  ) {}

  /** Starts listing `ref` now, for a later `take` of the same page. */
  start(ref: PageRef, list: () => Promise<SourcePage>): void {
    this.dropExpired();
    const key = keyOf(ref);
    if (this.held.has(key)) return;
    while (this.held.size >= this.maxPages) this.held.delete(this.held.keys().next().value!);
    const listing = list();
    // Not awaited until taken: a failure here is answered by listing again in `take`.
    listing.catch(() => undefined);
    this.held.set(key, { at: this.clock.now(), listing });
  }

  /** The page listed ahead for `ref` when there is a fresh one; otherwise `list()` now. */
  async take(ref: PageRef, list: () => Promise<SourcePage>): Promise<SourcePage> {
    this.dropExpired();
    const key = keyOf(ref);
    const held = this.held.get(key);
    if (!held) return list();
    this.held.delete(key);
    try {
      return await held.listing;
    } catch {
      return list();
    }
  }

  private dropExpired(): void {
    const now = this.clock.now();
    for (const [key, held] of this.held) if (now - held.at > this.maxAgeMs) this.held.delete(key);
  }
}

function keyOf(ref: PageRef): string {
  return JSON.stringify([
    ref.job.id,
    ref.job.source,
    ref.runId,
    ref.page,
    ref.continuationToken ?? null,
    ref.pageSize,
  ]);
}
