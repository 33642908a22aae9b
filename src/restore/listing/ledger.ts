// Knowing when listing is over. Listing fans out: a page of a folder queues the folder's next page
// and one listing per subfolder, so there is no single "last page". Each listing writes one row,
// keyed by its deterministic listing key, with how many listings it spawned, BEFORE it sends them.
// Listing is complete when the rows number 1 + the sum of `spawned`: every spawned listing has then
// written its own row. A redelivered listing rewrites its own row (same key, same count), so
// duplicates never skew the count.
import { createHash } from 'node:crypto';
import { odata, type TableClient } from '@azure/data-tables';
import { tableCreator } from '../../store/table';
import { encodeRowKey } from '../../store/manifest';

export const RESTORE_LISTINGS_TABLE = 'restorelistings';

export interface ListingLedger {
  record(runId: string, listingKey: string, spawned: number): Promise<void>;
  complete(runId: string): Promise<boolean>;
}

export function listingKeyOf(source: { type: string; folderId?: string; page: number }): string {
  return source.type === 'manifest' ? `m:${source.page}` : `d:${source.folderId ?? 'root'}:${source.page}`;
}

/** A numeric page index for RunStore.recordPage that is unique per listing key (48 bits of a digest). */
export function pageIndexOf(listingKey: string): number {
  return parseInt(createHash('sha256').update(listingKey).digest('hex').slice(0, 12), 16);
}

export function tableListingLedger(client: TableClient): ListingLedger {
  const ensure = tableCreator(client);
  return {
    async record(runId, listingKey, spawned) {
      await ensure();
      await client.upsertEntity(
        { partitionKey: runId, rowKey: encodeRowKey(listingKey), spawned },
        'Replace',
      );
    },
    async complete(runId) {
      await ensure();
      let rows = 0;
      let expected = 1;
      const entities = client.listEntities<{ spawned?: number }>({
        queryOptions: { filter: odata`PartitionKey eq ${runId}`, select: ['spawned'] },
      });
      for await (const entity of entities) {
        rows += 1;
        expected += entity.spawned ?? 0;
      }
      return rows === expected;
    },
  };
}
