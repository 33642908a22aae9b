// An unchanged file is not copied again, but its metadata, properties and tags can change without
// its bytes (tags never change the ETag; new metadata with the same MD5 is skipped as unchanged).
// The run index is written from the manifest, so the manifest must learn the new facts: one merge
// per such file, only when something differs, so an unchanged container costs no writes.
import type { ManifestEntry } from '../store/manifest';
import { sameFacts, type BlobFacts } from '../sources/blobFacts';
import type { SourceItem } from '../sources/types';
import type { BackupDeps } from './deps';

/** The facts to keep: the listing's, except tags it could not read (the known ones stay). */
export function nextFacts(listed: BlobFacts, known: BlobFacts | undefined): BlobFacts {
  if (!listed.tagsUnread || !known || known.tagsUnread) return listed;
  const { tagsUnread: _unread, ...rest } = listed;
  return { ...rest, tags: known.tags };
}

export async function refreshedFacts(
  deps: Pick<BackupDeps, 'manifest' | 'settings'>,
  jobId: string,
  files: ReadonlyArray<{ item: SourceItem; entry: ManifestEntry }>,
): Promise<number> {
  const changed: Array<{ name: string; facts: BlobFacts }> = [];
  for (const { item, entry } of files) {
    if (!item.facts) continue;
    const facts = nextFacts(item.facts, entry.facts);
    if (!sameFacts(entry.facts, facts)) changed.push({ name: item.name, facts });
  }
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < changed.length) {
      const { name, facts } = changed[next++];
      await deps.manifest.putFacts(jobId, name, facts);
    }
  };
  await Promise.all(Array.from({ length: Math.min(deps.settings.sendConcurrency, changed.length) }, worker));
  return changed.length;
}
