// A digest of one listing page: everything the planner's decision for the page reads from the
// listing (names, ETags, sizes, MD5s, last-modified times, properties, metadata and tags) and from
// the job (its source and maximum age). When every file of a page was found unchanged in the
// manifest, the planner records the page's digest, and a run that succeeds records those of the
// pages it copied (./plannedDigests.ts); a later run whose page hashes the same skips the
// manifest's range queries for it: one point read instead of one query per 1,000 rows, and no
// rows to decode. Sound because nothing changes or removes the manifest entry of a file that is
// still listed with the same ETag except the planner itself (a refresh of its facts, which the
// digest covers) and retention past the maximum age (a page with a file past it is compared with
// the manifest whatever its digest).
import { createHash } from 'node:crypto';
import type { Job } from '../store/jobs';
import type { SourceItem } from '../sources/types';

export function pageDigest(job: Job, items: readonly SourceItem[]): string {
  const hash = createHash('sha256');
  hash.update(
    JSON.stringify([
      job.source,
      job.mode,
      job.retention.mirrorMaxAgeDays ?? null,
      // A moved destination makes every older manifest entry stale (Job.manifestSince).
      job.manifestSince ?? null,
    ]),
  );
  for (const i of items)
    hash.update(
      `\n${JSON.stringify([i.name, i.etag, i.size, i.contentMd5 ?? null, i.lastModified.getTime(), i.facts ?? null])}`,
    );
  return hash.digest('base64');
}
