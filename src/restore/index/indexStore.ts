// The run index a restore loaded, as Table rows of the restore run (partition = run id, row = the
// blob name's row key), so each file task finds its blob's properties, metadata and tags with one
// point read, and the end of the run can compare the index with what was restored, both read in
// the same row-key order. Facts take numbered columns (src/store/longText.ts): metadata alone may
// be 8 KiB.
import type { TableClient, TableTransaction } from '@azure/data-tables';
import { odata } from '@azure/data-tables';
import type { RunIndexFile } from '../../graph/runIndex';
import { readFacts } from '../../sources/blobFacts';
import { joinColumns, splitColumns } from '../../store/longText';
import { tableBatches, tableCreator } from '../../store/table';
import { encodeRowKey, query } from '../../store/manifest';

export const RESTORE_INDEX_TABLE = 'restoreindex';

/** The row saying which index was loaded ('~' is escaped in name keys, so no name can take it). */
const SUMMARY_KEY = '~index';

export type IndexedFile = Pick<RunIndexFile, 'name' | 'size' | 'quickXorHash' | 'facts'>;

export interface LoadedIndex {
  /** The index file's name, or undefined when the folder had none. */
  name?: string;
  /** The run that wrote it. */
  runId?: string;
  files: number;
  /** Lines of the index that were not in its format (not trusted, reported). */
  unreadable?: number;
}

export interface RestoreIndexStore {
  putFiles(runId: string, files: readonly IndexedFile[]): Promise<void>;
  get(runId: string, blobName: string): Promise<IndexedFile | undefined>;
  /** Every file of the loaded index, in row-key order. */
  files(runId: string): AsyncIterable<IndexedFile>;
  setLoaded(runId: string, loaded: LoadedIndex): Promise<void>;
  loaded(runId: string): Promise<LoadedIndex | undefined>;
}

function toRow(file: IndexedFile): Record<string, string | number | boolean> {
  return {
    name: file.name,
    size: file.size,
    quickXorHash: file.quickXorHash,
    ...(file.facts ? splitColumns('facts', JSON.stringify(file.facts)) : {}),
  };
}

function fromRow(row: Record<string, unknown>): IndexedFile | undefined {
  if (typeof row.name !== 'string' || typeof row.size !== 'number' || typeof row.quickXorHash !== 'string')
    return undefined;
  const text = joinColumns(row, 'facts');
  let facts;
  try {
    facts = text === undefined ? undefined : readFacts(JSON.parse(text));
  } catch {
    facts = undefined;
  }
  return { name: row.name, size: row.size, quickXorHash: row.quickXorHash, facts };
}

export function tableRestoreIndexStore(client: TableClient): RestoreIndexStore {
  const ensure = tableCreator(client);
  return {
    async putFiles(runId, files) {
      await ensure();
      // One transaction per 100 rows (the service's limit), all in the run's partition.
      for (const batch of tableBatches(files)) {
        const actions = batch.map(
          (file) =>
            [
              'upsert',
              { partitionKey: runId, rowKey: encodeRowKey(file.name), ...toRow(file) },
              'Replace',
            ] as const,
        );
        await client.submitTransaction(actions as unknown as TableTransaction['actions']);
      }
    },
    async get(runId, blobName) {
      await ensure();
      try {
        const row = await client.getEntity<Record<string, unknown>>(runId, encodeRowKey(blobName));
        const file = fromRow(row);
        // A digest key could in theory be shared by two names; the stored name settles it.
        return file?.name === blobName ? file : undefined;
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode === 404) return undefined;
        throw error;
      }
    },
    async *files(runId) {
      for await (const row of query(client, odata`PartitionKey eq ${runId}`)) {
        if (row.rowKey === SUMMARY_KEY) continue;
        const file = fromRow(row);
        if (file) yield file;
      }
    },
    async setLoaded(runId, loaded) {
      await ensure();
      await client.upsertEntity(
        {
          partitionKey: runId,
          rowKey: SUMMARY_KEY,
          files: loaded.files,
          unreadable: loaded.unreadable ?? 0,
          ...(loaded.name ? { indexName: loaded.name } : {}),
          ...(loaded.runId ? { indexRunId: loaded.runId } : {}),
        },
        'Replace',
      );
    },
    async loaded(runId) {
      await ensure();
      try {
        const row = await client.getEntity<Record<string, unknown>>(runId, SUMMARY_KEY);
        return {
          name: typeof row.indexName === 'string' ? row.indexName : undefined,
          runId: typeof row.indexRunId === 'string' ? row.indexRunId : undefined,
          files: typeof row.files === 'number' ? row.files : 0,
          unreadable: typeof row.unreadable === 'number' ? row.unreadable : 0,
        };
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode === 404) return undefined;
        throw error;
      }
    },
  };
}
