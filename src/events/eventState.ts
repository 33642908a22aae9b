// The events area's own table, `blobevents`:
//   partition = job id, row `b-<escaped blob name>`: the latest event seen for the blob (a random
//     token, its kind and time). A settle check acts only when it carries the row's current token,
//     so of a burst of events for one blob only the last one's check copies it.
//   partition = job id, row `~run`: the job's open events run (./eventRun.ts) and a sequence for its
//     plan rows, ETag-checked.
import { randomBytes } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import { isAppError } from '../errors';
import { encodeRowKey } from '../store/manifest';
import { field, TableRepository, type Stored } from '../store/table';

export const EVENT_STATE_TABLE = 'blobevents';
const RUN_ROW = '~run';

type Row = Record<string, string | number | boolean | undefined>;

export interface LatestEvent {
  token: string;
  kind: 'created' | 'deleted';
  eventTime: string;
  receivedAt: string;
  /** Set once a check planned the blob into an events run: a redelivered check resends, never replans. */
  plannedRunId?: string;
  plannedRow?: number;
}

export interface OpenRunState {
  runId: string;
  /** UTC day (YYYY-MM-DD) the run belongs to: a run covers at most one day of events. */
  day: string;
  /** Plan rows written into the run so far (its page numbers). */
  seq: number;
  /**
   * Runs of earlier days replaced while files were still in flight, oldest first, each closed once
   * its files are done. A list, not one id: a run can still be in flight when the day rolls again.
   */
  outgoingRunIds: string[];
}

/** Run ids are digits, a dash and hex (newRunId), so a comma never occurs in one. */
const joinIds = (ids: readonly string[]): string => ids.join(',');
const splitIds = (value: string | undefined): string[] => (value ? value.split(',').filter(Boolean) : []);

const blobKey = (blobName: string): string => `b-${encodeRowKey(blobName)}`;

export class EventStateStore {
  private readonly repo: TableRepository<Row>;

  constructor(client: TableClient) {
    this.repo = new TableRepository<Row>(client, (raw) => raw as Row);
  }

  /** Records an event as the blob's latest and returns its token (last writer wins, as it should). */
  async recordEvent(jobId: string, blobName: string, event: Omit<LatestEvent, 'token'>): Promise<string> {
    const token = randomBytes(12).toString('base64url');
    await this.repo.upsert(jobId, blobKey(blobName), { blobName, token, ...event });
    return token;
  }

  async latest(jobId: string, blobName: string): Promise<Stored<LatestEvent> | undefined> {
    const stored = await this.repo.get(jobId, blobKey(blobName));
    if (!stored) return undefined;
    const v = stored.value as Record<string, unknown>;
    return {
      ...stored,
      value: {
        token: field.requiredString(v, 'token'),
        kind: field.requiredString(v, 'kind', 'created') as LatestEvent['kind'],
        eventTime: field.requiredString(v, 'eventTime', ''),
        receivedAt: field.requiredString(v, 'receivedAt', ''),
        plannedRunId: field.string(v, 'plannedRunId') || undefined,
        plannedRow: field.number(v, 'plannedRow'),
      },
    };
  }

  /** Notes that this event's check planned the blob (only if no newer event came: Conflict). */
  async markPlanned(
    jobId: string,
    blobName: string,
    etag: string,
    runId: string,
    row: number,
  ): Promise<string> {
    return this.repo.merge(jobId, blobKey(blobName), { plannedRunId: runId, plannedRow: row }, etag);
  }

  /** Forgets the blob's event once handled, unless a newer one replaced it meanwhile (ETag). */
  async settled(jobId: string, blobName: string, etag: string): Promise<void> {
    try {
      await this.repo.delete(jobId, blobKey(blobName), etag);
    } catch (error) {
      if (!isAppError(error, 'Conflict') && !isAppError(error, 'NotFound')) throw error;
    }
  }

  async openRun(jobId: string): Promise<Stored<OpenRunState> | undefined> {
    const stored = await this.repo.get(jobId, RUN_ROW);
    if (!stored) return undefined;
    const v = stored.value as Record<string, unknown>;
    return {
      ...stored,
      value: {
        runId: field.requiredString(v, 'runId'),
        day: field.requiredString(v, 'day'),
        seq: field.number(v, 'seq') ?? 0,
        // Rows written before the list kept one outgoing run as `previousRunId`.
        outgoingRunIds: [
          ...new Set([
            ...splitIds(field.string(v, 'previousRunId')),
            ...splitIds(field.string(v, 'outgoingRunIds')),
          ]),
        ],
      },
    };
  }

  /** Writes the open-run row: created when `etag` is undefined, else only if unchanged (Conflict). */
  async saveRun(jobId: string, state: OpenRunState, etag: string | undefined): Promise<string> {
    // A replace, so a legacy `previousRunId` is dropped once its id is carried in the list.
    const row: Row = { ...state, outgoingRunIds: joinIds(state.outgoingRunIds) };
    return etag === undefined
      ? this.repo.insert(jobId, RUN_ROW, row)
      : this.repo.replace(jobId, RUN_ROW, row, etag);
  }
}
