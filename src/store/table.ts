// A small typed repository over one Azure Table: create-if-missing, get, insert, upsert, ETag-checked
// merge, list by partition, delete. Entities are plain objects; the repository adds nothing but the
// partition and row keys and maps SDK errors to typed errors (404 NotFound, 409/412 Conflict).
import { odata, TableClient, type TableEntityResult } from '@azure/data-tables';
import { AppError, isAppError } from '../errors';

export type Scalar = string | number | boolean | Date | undefined;
export type EntityFields = Record<string, Scalar>;

export interface Stored<T> {
  partitionKey: string;
  rowKey: string;
  etag: string;
  value: T;
}

function statusOf(error: unknown): number | undefined {
  return (error as { statusCode?: number })?.statusCode;
}

function mapError(table: string, operation: string, error: unknown): never {
  const status = statusOf(error);
  if (status === 404) throw new AppError('NotFound', `${table}: entity not found`, { cause: error });
  if (status === 409 || status === 412)
    throw new AppError('Conflict', `${table}: ${operation} lost a race (the entity changed)`, {
      cause: error,
    });
  throw new AppError(
    status !== undefined && status < 500 && status !== 429 ? 'UpstreamError' : 'Transient',
    `${table}: ${operation} failed${status ? ` with HTTP ${status}` : ''}`,
    { cause: error },
  );
}

// Characters Table storage refuses in a PartitionKey or RowKey (it answers 500 or 400, which would
// read as a storage outage). Ids come from URLs (an id with %2F decodes to '/'), so a key holding
// one names no entity: reads find nothing, updates NotFound, creates ValidationFailed.
// eslint-disable-next-line no-control-regex
const FORBIDDEN_KEY = /[/\\#?\u0000-\u001f\u007f-\u009f]/;

const badKey = (...keys: string[]): boolean => keys.some((key) => FORBIDDEN_KEY.test(key));

function noSuchEntity(table: string): AppError {
  return new AppError('NotFound', `${table}: entity not found (the id holds a character ids never have)`);
}

function badKeyError(table: string): AppError {
  return new AppError('ValidationFailed', `id: must not contain / \\ # ? or control characters (${table})`, {
    field: 'id',
  });
}

/** How often a read-change-write whose ETag-checked write lost a race is tried in all. */
export const RACE_ATTEMPTS = 5;

/**
 * Runs `attempt` (a read, a change and an ETag-checked write of one row) again while its write
 * loses the race (Conflict), at most `attempts` times in all; the last Conflict is thrown.
 */
export async function againOnConflict<T>(attempt: () => Promise<T>, attempts = RACE_ATTEMPTS): Promise<T> {
  for (let tried = 1; ; tried += 1) {
    try {
      return await attempt();
    } catch (error) {
      if (!isAppError(error, 'Conflict') || tried >= attempts) throw error;
    }
  }
}

/**
 * `value` without its undefined fields: Table entities cannot carry undefined properties (the SDK
 * refuses them). Every store writes through it. A plain loop: it runs on every row written.
 */
export function definedFields<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) if (field !== undefined) out[key] = field;
  return out as { [K in keyof T]: Exclude<T[K], undefined> };
}

export class TableRepository<T extends EntityFields> {
  private ready?: Promise<void>;

  constructor(
    private readonly client: TableClient,
    /** Turns raw entity properties into T (drops the system fields, applies defaults). */
    private readonly decode: (raw: Record<string, unknown>) => T,
  ) {}

  get tableName(): string {
    return this.client.tableName;
  }

  /** Creates the table on first use (idempotent: the SDK treats 409 TableAlreadyExists as success). */
  private ensure(): Promise<void> {
    this.ready ??= this.client.createTable().catch((error) => {
      this.ready = undefined;
      mapError(this.tableName, 'create table', error);
    });
    return this.ready;
  }

  /** Creates the table if needed, for callers that write through the client itself (transactions). */
  async prepare(): Promise<void> {
    await this.ensure();
  }

  private toStored(entity: TableEntityResult<Record<string, unknown>>): Stored<T> {
    const { partitionKey, rowKey, etag, timestamp: _t, ...rest } = entity;
    void _t;
    return { partitionKey: partitionKey!, rowKey: rowKey!, etag, value: this.decode(rest) };
  }

  async get(partitionKey: string, rowKey: string): Promise<Stored<T> | undefined> {
    if (badKey(partitionKey, rowKey)) return undefined;
    await this.ensure();
    try {
      return this.toStored(await this.client.getEntity<Record<string, unknown>>(partitionKey, rowKey));
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      mapError(this.tableName, 'read', error);
    }
  }

  /** Inserts; Conflict when the row exists. */
  async insert(partitionKey: string, rowKey: string, value: T): Promise<string> {
    if (badKey(partitionKey, rowKey)) throw badKeyError(this.tableName);
    await this.ensure();
    try {
      const result = await this.client.createEntity({ partitionKey, rowKey, ...definedFields(value) });
      return result.etag ?? '';
    } catch (error) {
      mapError(this.tableName, 'insert', error);
    }
  }

  async upsert(partitionKey: string, rowKey: string, value: T): Promise<string> {
    if (badKey(partitionKey, rowKey)) throw badKeyError(this.tableName);
    await this.ensure();
    try {
      const result = await this.client.upsertEntity(
        { partitionKey, rowKey, ...definedFields(value) },
        'Replace',
      );
      return result.etag ?? '';
    } catch (error) {
      mapError(this.tableName, 'upsert', error);
    }
  }

  /**
   * Merges fields into an existing row. With `etag` the merge succeeds only if nobody changed the row
   * since it was read (Conflict otherwise); without, it applies unconditionally (NotFound if absent).
   */
  async merge(partitionKey: string, rowKey: string, fields: Partial<T>, etag?: string): Promise<string> {
    if (badKey(partitionKey, rowKey)) throw noSuchEntity(this.tableName);
    await this.ensure();
    try {
      const result = await this.client.updateEntity(
        { partitionKey, rowKey, ...definedFields(fields as EntityFields) },
        'Merge',
        { etag: etag ?? '*' },
      );
      return result.etag ?? '';
    } catch (error) {
      mapError(this.tableName, 'merge', error);
    }
  }

  /** Replaces the whole row (properties left out are removed); with `etag`, only if unchanged since read. */
  async replace(partitionKey: string, rowKey: string, value: T, etag?: string): Promise<string> {
    if (badKey(partitionKey, rowKey)) throw noSuchEntity(this.tableName);
    await this.ensure();
    try {
      const result = await this.client.updateEntity(
        { partitionKey, rowKey, ...definedFields(value) },
        'Replace',
        {
          etag: etag ?? '*',
        },
      );
      return result.etag ?? '';
    } catch (error) {
      mapError(this.tableName, 'replace', error);
    }
  }

  async listPartition(partitionKey: string): Promise<Stored<T>[]> {
    if (badKey(partitionKey)) return [];
    await this.ensure();
    const out: Stored<T>[] = [];
    try {
      const entities = this.client.listEntities<Record<string, unknown>>({
        queryOptions: { filter: odata`PartitionKey eq ${partitionKey}` },
      });
      for await (const entity of entities) out.push(this.toStored(entity));
    } catch (error) {
      mapError(this.tableName, 'list', error);
    }
    return out;
  }

  /** Deletes a row; false when it was already gone. */
  async delete(partitionKey: string, rowKey: string, etag?: string): Promise<boolean> {
    if (badKey(partitionKey, rowKey)) return false;
    await this.ensure();
    try {
      await this.client.deleteEntity(partitionKey, rowKey, { etag: etag ?? '*' });
      return true;
    } catch (error) {
      if (statusOf(error) === 404) return false;
      mapError(this.tableName, 'delete', error);
    }
  }
}

/** Decoding helpers: Table storage returns what was written, but old rows may miss newer fields. */
export const field = {
  string(raw: Record<string, unknown>, key: string): string | undefined {
    const v = raw[key];
    return typeof v === 'string' ? v : undefined;
  },
  requiredString(raw: Record<string, unknown>, key: string, fallback = ''): string {
    const v = raw[key];
    return typeof v === 'string' ? v : fallback;
  },
  number(raw: Record<string, unknown>, key: string): number | undefined {
    const v = raw[key];
    return typeof v === 'number' ? v : undefined;
  },
  boolean(raw: Record<string, unknown>, key: string): boolean {
    return raw[key] === true;
  },
};

/** Creates the table on first use, once per client; a creation that failed is tried again next time. */
export function tableCreator(client: TableClient): () => Promise<unknown> {
  let ready: Promise<unknown> | undefined;
  return () =>
    (ready ??= client.createTable().catch((error: unknown) => {
      ready = undefined;
      throw error;
    }));
}

/** Rows per entity-group transaction: the Table service refuses a batch of more. */
export const TABLE_BATCH_LIMIT = 100;

/**
 * `items` in consecutive slices a transaction may carry: at most TABLE_BATCH_LIMIT each and, with
 * `weight`, at most `budget` of it (the service also refuses a transaction over 4 MiB of payload,
 * which a hundred large rows can pass). An item heavier than the budget goes alone.
 */
export function* tableBatches<T>(
  items: readonly T[],
  limit: { weight: (item: T) => number; budget: number } = { weight: () => 0, budget: 0 },
): Generator<T[]> {
  let batch: T[] = [];
  let used = 0;
  for (const item of items) {
    const weight = limit.weight(item);
    if (batch.length && (batch.length >= TABLE_BATCH_LIMIT || used + weight > limit.budget)) {
      yield batch;
      batch = [];
      used = 0;
    }
    batch.push(item);
    used += weight;
  }
  if (batch.length) yield batch;
}

/**
 * Rows of one partition by row key, with one range query instead of a point read each: the query
 * spans the smallest to the largest key asked for, and rows in between that were not asked for are
 * dropped as they stream past, so memory stays bounded by what was asked. Callers ask for keys that
 * lie close together (a listing page, a batch of consecutive files). Keys starting with `~` (digests
 * of very long names, which sort after every readable key) are read one by one so they do not
 * stretch the range to the end of the partition.
 */
export async function rowsByKey(
  client: TableClient,
  partitionKey: string,
  rowKeys: readonly string[],
  concurrency = 16,
): Promise<Map<string, TableEntityResult<Record<string, unknown>>>> {
  const found = new Map<string, TableEntityResult<Record<string, unknown>>>();
  const wanted = new Set(rowKeys.filter((key) => !badKey(partitionKey, key)));
  const readable = [...wanted].filter((key) => !key.startsWith('~'));
  const apart = [...wanted].filter((key) => key.startsWith('~'));
  try {
    if (readable.length) {
      let low = readable[0];
      let high = readable[0];
      for (const key of readable) {
        if (key < low) low = key;
        if (key > high) high = key;
      }
      const filter =
        low === high
          ? odata`PartitionKey eq ${partitionKey} and RowKey eq ${low}`
          : odata`PartitionKey eq ${partitionKey} and RowKey ge ${low} and RowKey le ${high}`;
      for await (const entity of client.listEntities<Record<string, unknown>>({ queryOptions: { filter } }))
        if (wanted.has(entity.rowKey!)) found.set(entity.rowKey!, entity);
    }
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < apart.length) {
        const key = apart[next++];
        try {
          found.set(key, await client.getEntity<Record<string, unknown>>(partitionKey, key));
        } catch (error) {
          if (statusOf(error) !== 404) throw error;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, apart.length) }, worker));
  } catch (error) {
    // A table not created yet holds none of them.
    if (statusOf(error) === 404) return found;
    mapError(client.tableName, 'range read', error);
  }
  return found;
}

/**
 * Deletes every row of one partition, 100 rows per transaction, reading only the keys. Stops before
 * `deadline` (epoch ms) with `complete: false`, so a large partition is finished by a later call;
 * a table that does not exist holds nothing to delete.
 */
export async function deletePartition(
  client: TableClient,
  partitionKey: string,
  options: { deadline?: number; now?: () => number } = {},
): Promise<{ deleted: number; complete: boolean }> {
  const now = options.now ?? Date.now;
  let deleted = 0;
  if (badKey(partitionKey)) return { deleted, complete: true };
  for (;;) {
    // One page of keys at a time, deleted before the next is read: listing while deleting would
    // page over rows that are already gone.
    const keys: string[] = [];
    try {
      const pages = client
        .listEntities<Record<string, unknown>>({
          queryOptions: { filter: odata`PartitionKey eq ${partitionKey}`, select: ['RowKey'] },
        })
        .byPage({ maxPageSize: 1000 });
      for await (const page of pages) {
        for (const entity of page) keys.push(entity.rowKey!);
        break;
      }
    } catch (error) {
      if (statusOf(error) === 404) return { deleted, complete: true };
      mapError(client.tableName, 'list for delete', error);
    }
    if (keys.length === 0) return { deleted, complete: true };
    for (const batch of tableBatches(keys)) {
      if (options.deadline !== undefined && now() >= options.deadline) return { deleted, complete: false };
      deleted += await deleteRows(client, partitionKey, batch);
    }
  }
}

/** One transaction; when another caller deleted one of its rows first (404), the rest one by one. */
async function deleteRows(client: TableClient, partitionKey: string, rowKeys: string[]): Promise<number> {
  try {
    await client.submitTransaction(rowKeys.map((rowKey) => ['delete', { partitionKey, rowKey }] as const));
    return rowKeys.length;
  } catch (error) {
    if (statusOf(error) !== 404) mapError(client.tableName, 'delete', error);
  }
  let deleted = 0;
  for (const rowKey of rowKeys) {
    try {
      await client.deleteEntity(partitionKey, rowKey);
      deleted += 1;
    } catch (error) {
      if (statusOf(error) !== 404) mapError(client.tableName, 'delete', error);
    }
  }
  return deleted;
}
