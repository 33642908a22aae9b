// Alert dedupe state, one row per thing already said, in the `alerts` table:
//   - `secret-expiry`     row = secret version + threshold (`<version>-d30`, `<version>-expired`,
//                         `<version>-unknown-<day>`): each said once; a new version has new rows;
//   - `connection-reauth` row = connection id, with the reason last reported (a new reason speaks again;
//                         the row goes when the connection is healthy, so a later loss speaks again);
//   - `job-failing`       row = job id, present while the job's failing streak has been reported.
// Claims are inserts, so two checks racing (the timer and Key Vault's event) say a thing once.
import type { TableClient } from '@azure/data-tables';
import { isAppError } from '../errors';
import { field, TableRepository } from '../store/table';

export const ALERTS_TABLE = 'alerts';
export const PARTITIONS = {
  secretExpiry: 'secret-expiry',
  connectionReauth: 'connection-reauth',
  jobFailing: 'job-failing',
  clientRejected: 'client-rejected',
} as const;

export interface AlertStateRow {
  /** Free text about what was said (a reason, a threshold); never a secret. */
  note: string;
  at: string;
}

export interface AlertStateStore {
  /** True when this call recorded the row (and so should speak); false when it already existed. */
  claim(partition: string, key: string, row: AlertStateRow): Promise<boolean>;
  get(partition: string, key: string): Promise<{ row: AlertStateRow; etag: string } | undefined>;
  /** Replaces a row only if unchanged since read; false when someone else changed it first. */
  replace(partition: string, key: string, row: AlertStateRow, etag: string): Promise<boolean>;
  /** Rows of a partition, with the keys as the callers gave them. */
  list(partition: string): Promise<Array<{ key: string; row: AlertStateRow }>>;
  delete(partition: string, key: string): Promise<void>;
}

/**
 * Table row keys may not contain / \ # ? or control characters: anything outside a safe set is
 * escaped as ~xxxx (reversibly: `~` itself is escaped too).
 */
export function rowKey(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]/g, (c) => `~${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function fromRowKey(key: string): string {
  return key.replace(/~([0-9a-f]{4})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

type Row = { note: string; at: string };

export class TableAlertStateStore implements AlertStateStore {
  private readonly repo: TableRepository<Row>;

  constructor(client: TableClient) {
    this.repo = new TableRepository<Row>(client, (raw) => ({
      note: field.requiredString(raw, 'note'),
      at: field.requiredString(raw, 'at'),
    }));
  }

  async claim(partition: string, key: string, row: AlertStateRow): Promise<boolean> {
    try {
      await this.repo.insert(partition, rowKey(key), row);
      return true;
    } catch (error) {
      if (isAppError(error, 'Conflict')) return false;
      throw error;
    }
  }

  async get(partition: string, key: string): Promise<{ row: AlertStateRow; etag: string } | undefined> {
    const stored = await this.repo.get(partition, rowKey(key));
    return stored && { row: stored.value, etag: stored.etag };
  }

  async replace(partition: string, key: string, row: AlertStateRow, etag: string): Promise<boolean> {
    try {
      await this.repo.replace(partition, rowKey(key), row, etag);
      return true;
    } catch (error) {
      if (isAppError(error, 'Conflict') || isAppError(error, 'NotFound')) return false;
      throw error;
    }
  }

  async list(partition: string): Promise<Array<{ key: string; row: AlertStateRow }>> {
    const rows = await this.repo.listPartition(partition);
    return rows.map((r) => ({ key: fromRowKey(r.rowKey), row: r.value }));
  }

  async delete(partition: string, key: string): Promise<void> {
    await this.repo.delete(partition, rowKey(key));
  }
}

/** The same contract in memory, for unit tests. */
export class MemoryAlertStateStore implements AlertStateStore {
  readonly rows = new Map<string, { row: AlertStateRow; etag: number }>();
  private counter = 0;
  private id = (p: string, k: string) => `${p}\u0000${rowKey(k)}`;

  async claim(partition: string, key: string, row: AlertStateRow): Promise<boolean> {
    const id = this.id(partition, key);
    if (this.rows.has(id)) return false;
    this.rows.set(id, { row, etag: ++this.counter });
    return true;
  }

  async get(partition: string, key: string): Promise<{ row: AlertStateRow; etag: string } | undefined> {
    const entry = this.rows.get(this.id(partition, key));
    return entry && { row: entry.row, etag: String(entry.etag) };
  }

  async replace(partition: string, key: string, row: AlertStateRow, etag: string): Promise<boolean> {
    const id = this.id(partition, key);
    const entry = this.rows.get(id);
    if (!entry || String(entry.etag) !== etag) return false;
    this.rows.set(id, { row, etag: ++this.counter });
    return true;
  }

  async list(partition: string): Promise<Array<{ key: string; row: AlertStateRow }>> {
    const prefix = `${partition}\u0000`;
    return [...this.rows.entries()]
      .filter(([id]) => id.startsWith(prefix))
      .map(([id, entry]) => ({ key: fromRowKey(id.slice(prefix.length)), row: entry.row }));
  }

  async delete(partition: string, key: string): Promise<void> {
    this.rows.delete(this.id(partition, key));
  }
}
