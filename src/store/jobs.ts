// Backup jobs: what to copy (a container and prefix), where (a connection and folder), when (a
// 6-field NCRONTAB schedule), how (mirror or snapshot, retention, chunk size). One row each in the
// `jobs` table. `activeRunId` is the one-run-at-a-time lock: the scheduler sets it with an
// ETag-checked merge, so two scheduler instances can never both start a run of the same job.
import type { TableClient } from '@azure/data-tables';
import { DEFAULT_CHUNK_BYTES, validateChunkSize } from '../config/chunkSize';
import { parseSchedule } from '../config/ncrontab';
import { AppError, validationError } from '../errors';
import { drivePathProblem } from './driveInput';
import { fromEncryptionRow, toEncryptionRow, validateEncryption, type JobEncryption } from './jobEncryption';
import { field, TableRepository, type Stored } from './table';

export const JOBS_TABLE = 'jobs';
const PARTITION = 'job';

export type JobMode = 'mirror' | 'snapshot';

export interface JobSource {
  /** Blob endpoint of the source storage account; unset means the app's own (or the local Azurite). */
  blobEndpoint?: string;
  container: string;
  prefix?: string;
}

export interface Retention {
  /** Snapshot mode: keep this many most recent snapshot folders. */
  keepLast?: number;
  /** Snapshot mode: remove snapshot folders older than this. */
  maxAgeDays?: number;
  /** Mirror mode: remove files whose source was last modified longer ago than this. */
  mirrorMaxAgeDays?: number;
}

/**
 * How Office documents are kept on business drives and SharePoint libraries, which rewrite them
 * after upload: `exact` (the default there) stores them under a reversible suffix SharePoint leaves
 * alone, so they verify and restore byte for byte; `native` keeps their own name and records the
 * library's rewritten size and hash. Personal drives do not rewrite, so both mean plain names there.
 */
export type OfficeFilesMode = 'exact' | 'native';
export const DEFAULT_OFFICE_FILES: OfficeFilesMode = 'exact';

/**
 * What starts a job's backups: its schedule, the source's blob events (each blob copied seconds
 * after it stops changing), or both (events, with the schedule as the safety net that lists and
 * diffs everything). Events need a mirror: a snapshot is a dated copy of the whole container.
 */
export type JobTrigger = 'schedule' | 'events' | 'both';
export const JOB_TRIGGERS: readonly JobTrigger[] = ['schedule', 'events', 'both'];

/** True when blob events start uploads for the job. */
export function takesEvents(job: Pick<Job, 'trigger'>): boolean {
  return job.trigger === 'events' || job.trigger === 'both';
}

/**
 * True when the job acts on blob events now: enabled, its trigger takes events, and a mirror (the
 * validation allows events on mirrors only; a stored row is still not trusted to). The receiver,
 * the settle check and the local change detector all ask this one question.
 */
export function eventDriven(job: Pick<Job, 'enabled' | 'trigger' | 'mode'>): boolean {
  return job.enabled && takesEvents(job) && job.mode === 'mirror';
}

export interface Job {
  id: string;
  name: string;
  connectionId: string;
  source: JobSource;
  destinationFolder: string;
  schedule: string;
  mode: JobMode;
  propagateDeletes: boolean;
  retention: Retention;
  chunkSizeBytes: number;
  hardDelete: boolean;
  enabled: boolean;
  officeFiles: OfficeFilesMode;
  trigger: JobTrigger;
  /**
   * When blob events began to start this job's uploads (ISO): files changed before it were never
   * announced by an event, so the scheduled run does not count them as missed by events.
   */
  eventsSince?: string;
  /**
   * Set (ISO) when the job's destination (connection, folder, Office files rule) or source container
   * changes: manifest entries recorded before it describe copies in the old place, so they no longer
   * count as backed up (the next run copies every file to the new place), and what the job left
   * in the old place is no longer its to delete.
   */
  manifestSince?: string;
  /** Client-side encryption (./jobEncryption.ts); fixed once the job exists. */
  encryption: JobEncryption;
  /** ISO time of the last schedule occurrence a run was started for (missed runs run once). */
  lastScheduledAt?: string;
  /** The run in progress, if any (the one-at-a-time lock). */
  activeRunId?: string;
  createdAt: string;
  updatedAt: string;
}

/** What a person sends to create or change a job. */
export type JobInput = Partial<
  Omit<
    Job,
    'id' | 'createdAt' | 'updatedAt' | 'lastScheduledAt' | 'activeRunId' | 'eventsSince' | 'manifestSince'
  >
>;

type JobRow = Record<string, string | number | boolean | undefined>;

function toRow(job: Job): JobRow {
  return {
    id: job.id,
    name: job.name,
    connectionId: job.connectionId,
    sourceBlobEndpoint: job.source.blobEndpoint,
    sourceContainer: job.source.container,
    sourcePrefix: job.source.prefix,
    destinationFolder: job.destinationFolder,
    schedule: job.schedule,
    mode: job.mode,
    propagateDeletes: job.propagateDeletes,
    keepLast: job.retention.keepLast,
    maxAgeDays: job.retention.maxAgeDays,
    mirrorMaxAgeDays: job.retention.mirrorMaxAgeDays,
    chunkSizeBytes: job.chunkSizeBytes,
    hardDelete: job.hardDelete,
    enabled: job.enabled,
    officeFiles: job.officeFiles,
    trigger: job.trigger,
    eventsSince: job.eventsSince,
    manifestSince: job.manifestSince,
    ...toEncryptionRow(job.encryption),
    lastScheduledAt: job.lastScheduledAt,
    activeRunId: job.activeRunId,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
  };
}

function fromRow(raw: Record<string, unknown>): JobRow {
  return raw as JobRow;
}

function toJob(row: JobRow): Job {
  const raw = row as Record<string, unknown>;
  return {
    id: field.requiredString(raw, 'id'),
    name: field.requiredString(raw, 'name'),
    connectionId: field.requiredString(raw, 'connectionId'),
    source: {
      blobEndpoint: field.string(raw, 'sourceBlobEndpoint'),
      container: field.requiredString(raw, 'sourceContainer'),
      prefix: field.string(raw, 'sourcePrefix'),
    },
    destinationFolder: field.requiredString(raw, 'destinationFolder'),
    schedule: field.requiredString(raw, 'schedule'),
    mode: field.requiredString(raw, 'mode', 'mirror') as JobMode,
    propagateDeletes: field.boolean(raw, 'propagateDeletes'),
    retention: {
      keepLast: field.number(raw, 'keepLast'),
      maxAgeDays: field.number(raw, 'maxAgeDays'),
      mirrorMaxAgeDays: field.number(raw, 'mirrorMaxAgeDays'),
    },
    chunkSizeBytes: field.number(raw, 'chunkSizeBytes') ?? DEFAULT_CHUNK_BYTES,
    hardDelete: field.boolean(raw, 'hardDelete'),
    enabled: field.boolean(raw, 'enabled'),
    // Jobs stored before the option existed get the default.
    officeFiles: (field.string(raw, 'officeFiles') as OfficeFilesMode | undefined) ?? DEFAULT_OFFICE_FILES,
    // Jobs stored before events existed keep running on their schedule alone.
    trigger: (field.string(raw, 'trigger') as JobTrigger | undefined) ?? 'schedule',
    eventsSince: field.string(raw, 'eventsSince'),
    manifestSince: field.string(raw, 'manifestSince'),
    encryption: fromEncryptionRow(raw),
    lastScheduledAt: field.string(raw, 'lastScheduledAt'),
    activeRunId: field.string(raw, 'activeRunId'),
    createdAt: field.requiredString(raw, 'createdAt'),
    updatedAt: field.requiredString(raw, 'updatedAt'),
  };
}

// ---- validation: every rule names its field, so the API can answer 400 {field, rule} ----

const CONTAINER_RULE =
  'must be 3-63 characters: lowercase letters, digits and single hyphens, starting and ending with a letter or digit';

function requireString(value: unknown, name: string, rule = 'is required (a non-empty string)'): string {
  if (typeof value !== 'string' || value.trim() === '') throw validationError(name, rule);
  return value.trim();
}

function optionalPositiveInt(value: unknown, name: string, max: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max)
    throw validationError(name, `must be a whole number from 1 to ${max}, or left out`);
  return value;
}

function optionalBoolean(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw validationError(name, 'must be true or false');
  return value;
}

// What a person may send. Anything else (a typo, or a server-owned field such as activeRunId or
// lastScheduledAt) is refused by name rather than silently dropped or, worse, stored.
const JOB_FIELDS = new Set([
  'name',
  'connectionId',
  'source',
  'destinationFolder',
  'schedule',
  'mode',
  'propagateDeletes',
  'retention',
  'chunkSizeBytes',
  'hardDelete',
  'enabled',
  'officeFiles',
  'trigger',
  'encryption',
]);
const SOURCE_FIELDS = new Set(['container', 'prefix', 'blobEndpoint']);
const RETENTION_FIELDS = new Set(['keepLast', 'maxAgeDays', 'mirrorMaxAgeDays']);

function refuseUnknown(value: Record<string, unknown>, known: Set<string>, prefix = ''): void {
  for (const key of Object.keys(value))
    if (!known.has(key))
      throw validationError(`${prefix}${key}`, `is not a job setting (known: ${[...known].join(', ')})`);
}

/** What a new job gets for a setting it leaves out, where the deployment chooses (app settings). */
export interface JobDefaults {
  /** UPLOAD_CHUNK_BYTES; unset means DEFAULT_CHUNK_BYTES. */
  chunkSizeBytes?: number;
  /** `both` when the deployment delivers blob events (EVENTS_ENABLED), else `schedule`. */
  trigger?: JobTrigger;
  /** False when the deployment delivers no blob events: a job asking for them is refused. */
  eventsEnabled?: boolean;
}

/** Merges `input` over `base` (or defaults) and validates the result; throws ValidationFailed naming the field. */
export function validateJob(
  input: unknown,
  base: Job | undefined,
  id: string,
  now: Date,
  defaults: JobDefaults = {},
): Job {
  if (!input || typeof input !== 'object' || Array.isArray(input))
    throw validationError('body', 'must be a JSON object');
  const i = input as Record<string, unknown>;
  refuseUnknown(i, JOB_FIELDS);
  const has = (key: string): boolean => i[key] !== undefined;
  const name = has('name') || !base ? requireString(i.name, 'name') : base.name;
  if (name.length > 200) throw validationError('name', 'must be at most 200 characters');
  const connectionId =
    has('connectionId') || !base ? requireString(i.connectionId, 'connectionId') : base.connectionId;

  const sourceIn = has('source') ? i.source : base?.source;
  if (!sourceIn || typeof sourceIn !== 'object')
    throw validationError('source', 'is required: {container, prefix?, blobEndpoint?}');
  const s = sourceIn as Record<string, unknown>;
  const container = requireString(s.container, 'source.container', CONTAINER_RULE);
  if (!/^(?=.{3,63}$)[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9]))*$/.test(container))
    throw validationError('source.container', CONTAINER_RULE);
  if (has('source')) refuseUnknown(s, SOURCE_FIELDS, 'source.');
  if (s.prefix !== undefined && typeof s.prefix !== 'string')
    throw validationError('source.prefix', 'must be a string');
  // A blob name is at most 1,024 characters, so a longer prefix matches nothing (and would not fit a table property).
  if (typeof s.prefix === 'string' && s.prefix.length > 1024)
    throw validationError('source.prefix', 'must be at most 1,024 characters (the longest blob name)');
  let blobEndpoint: string | undefined;
  if (s.blobEndpoint !== undefined && s.blobEndpoint !== '') {
    const rule = 'must be an https URL of a storage account blob endpoint (http only for a local emulator)';
    if (typeof s.blobEndpoint !== 'string') throw validationError('source.blobEndpoint', rule);
    let url: URL;
    try {
      url = new URL(s.blobEndpoint);
    } catch {
      throw validationError('source.blobEndpoint', rule);
    }
    const local = ['localhost', '127.0.0.1'].includes(url.hostname);
    if (url.protocol !== 'https:' && !(local && url.protocol === 'http:'))
      throw validationError('source.blobEndpoint', rule);
    blobEndpoint = s.blobEndpoint.replace(/\/+$/, '');
  }

  const destinationFolder = has('destinationFolder') || !base ? i.destinationFolder : base.destinationFolder;
  if (typeof destinationFolder !== 'string')
    throw validationError('destinationFolder', 'is required (a folder path in the drive; "" for the root)');
  if (/[\\:*?"<>|]/.test(destinationFolder))
    throw validationError('destinationFolder', 'must not contain \\ : * ? " < > |');
  // '.' and '..' segments would climb out of the connection's root folder (path traversal).
  if (destinationFolder.split('/').some((segment) => segment === '.' || segment === '..'))
    throw validationError('destinationFolder', 'must not contain . or .. segments');
  const pathProblem = drivePathProblem(destinationFolder);
  if (pathProblem) throw validationError('destinationFolder', pathProblem);
  if (destinationFolder.length > 400)
    throw validationError('destinationFolder', 'must be at most 400 characters (OneDrive path limit)');

  const schedule =
    has('schedule') || !base
      ? requireString(i.schedule, 'schedule', 'is required: 6-field NCRONTAB in UTC, e.g. "0 0 2 * * *"')
      : base.schedule;
  try {
    parseSchedule(schedule);
  } catch (error) {
    throw new AppError('ValidationFailed', `schedule: ${(error as Error).message}`, {
      field: 'schedule',
      cause: error,
    });
  }

  // NCRONTAB's first field is seconds: "*/5 * * * * *" is every five seconds, not minutes. A backup
  // started more than once a minute only piles runs onto the one-run-at-a-time lock.
  const seconds = schedule.trim().split(/\s+/)[0];
  if (!/^\d{1,2}$/.test(seconds))
    throw validationError(
      'schedule',
      `runs more than once a minute: the first of the 6 fields is the second ("${seconds}"); give it one value, e.g. "0 */5 * * * *" for every five minutes`,
    );

  const mode = has('mode') ? i.mode : (base?.mode ?? 'mirror');
  if (mode !== 'mirror' && mode !== 'snapshot')
    throw validationError('mode', 'must be "mirror" or "snapshot"');

  const retentionIn = (has('retention') ? i.retention : base?.retention) ?? {};
  if (typeof retentionIn !== 'object' || Array.isArray(retentionIn))
    throw validationError('retention', 'must be an object {keepLast?, maxAgeDays?, mirrorMaxAgeDays?}');
  const r = retentionIn as Record<string, unknown>;
  if (has('retention')) refuseUnknown(r, RETENTION_FIELDS, 'retention.');
  const retention: Retention = {
    keepLast: optionalPositiveInt(r.keepLast, 'retention.keepLast', 10_000),
    maxAgeDays: optionalPositiveInt(r.maxAgeDays, 'retention.maxAgeDays', 36_500),
    mirrorMaxAgeDays: optionalPositiveInt(r.mirrorMaxAgeDays, 'retention.mirrorMaxAgeDays', 36_500),
  };
  if (mode === 'mirror' && (retention.keepLast !== undefined || retention.maxAgeDays !== undefined))
    throw validationError(
      'retention',
      'keepLast and maxAgeDays apply to snapshot mode; mirror mode takes mirrorMaxAgeDays',
    );
  if (mode === 'snapshot' && retention.mirrorMaxAgeDays !== undefined)
    throw validationError('retention.mirrorMaxAgeDays', 'applies to mirror mode only');

  let chunkSizeBytes = base?.chunkSizeBytes ?? defaults.chunkSizeBytes ?? DEFAULT_CHUNK_BYTES;
  if (has('chunkSizeBytes')) chunkSizeBytes = validateChunkSize(i.chunkSizeBytes);

  const propagateDeletes = optionalBoolean(
    i.propagateDeletes,
    'propagateDeletes',
    base?.propagateDeletes ?? false,
  );
  if (propagateDeletes && mode !== 'mirror')
    throw validationError('propagateDeletes', 'applies to mirror mode only');
  const officeFiles = has('officeFiles') ? i.officeFiles : (base?.officeFiles ?? DEFAULT_OFFICE_FILES);
  if (officeFiles !== 'exact' && officeFiles !== 'native')
    throw validationError(
      'officeFiles',
      'must be "exact" (Office documents kept byte for byte under a suffix) or "native" (under their own name, rewritten by SharePoint)',
    );
  const triggerRule = `must be one of ${JOB_TRIGGERS.join(', ')}`;
  const trigger = has('trigger')
    ? i.trigger
    : (base?.trigger ?? (mode === 'mirror' ? (defaults.trigger ?? 'schedule') : 'schedule'));
  if (typeof trigger !== 'string' || !JOB_TRIGGERS.includes(trigger as JobTrigger))
    throw validationError('trigger', triggerRule);
  const eventDriven = takesEvents({ trigger: trigger as JobTrigger });
  if (eventDriven && mode !== 'mirror')
    throw validationError(
      'trigger',
      'events apply to mirror mode only (a snapshot copies the whole container into a dated folder); use "schedule"',
    );
  if (eventDriven && defaults.eventsEnabled === false && (has('trigger') || !base))
    throw validationError(
      'trigger',
      'this deployment delivers no blob events (EVENTS_ENABLED is false); use "schedule", or deploy the event subscription first',
    );
  const eventsSince = eventDriven
    ? base && takesEvents(base)
      ? (base.eventsSince ?? base.updatedAt)
      : now.toISOString()
    : undefined;
  const folder = destinationFolder.replace(/^\/+|\/+$/g, '');
  const moved =
    base !== undefined &&
    (base.connectionId !== connectionId ||
      base.destinationFolder !== folder ||
      base.officeFiles !== officeFiles ||
      base.source.container !== container ||
      (base.source.blobEndpoint ?? '') !== (blobEndpoint ?? ''));
  return {
    id,
    name,
    connectionId,
    source: {
      container,
      prefix: typeof s.prefix === 'string' && s.prefix !== '' ? s.prefix : undefined,
      blobEndpoint,
    },
    destinationFolder: folder,
    schedule,
    mode,
    propagateDeletes,
    retention,
    chunkSizeBytes,
    hardDelete: optionalBoolean(i.hardDelete, 'hardDelete', base?.hardDelete ?? false),
    enabled: optionalBoolean(i.enabled, 'enabled', base?.enabled ?? true),
    officeFiles,
    trigger: trigger as JobTrigger,
    eventsSince,
    manifestSince: moved ? now.toISOString() : base?.manifestSince,
    encryption: validateEncryption(i.encryption, base?.encryption),
    lastScheduledAt: base?.lastScheduledAt,
    activeRunId: base?.activeRunId,
    createdAt: base?.createdAt ?? now.toISOString(),
    updatedAt: now.toISOString(),
  };
}

export class JobStore {
  private readonly repo: TableRepository<JobRow>;

  constructor(client: TableClient) {
    this.repo = new TableRepository<JobRow>(client, fromRow);
  }

  async get(id: string): Promise<Job | undefined> {
    return (await this.getWithEtag(id))?.value;
  }

  async getWithEtag(id: string): Promise<Stored<Job> | undefined> {
    const stored = await this.repo.get(PARTITION, id);
    return stored && { ...stored, value: toJob(stored.value) };
  }

  async require(id: string): Promise<Job> {
    const job = await this.get(id);
    if (!job) throw new AppError('NotFound', `No job with id ${id}.`);
    return job;
  }

  async list(): Promise<Job[]> {
    return (await this.repo.listPartition(PARTITION))
      .map((s) => toJob(s.value))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async create(job: Job): Promise<void> {
    await this.repo.insert(PARTITION, job.id, toRow(job));
  }

  /** Replaces the job; with `etag`, only if nobody changed it since it was read (Conflict otherwise). */
  async save(job: Job, etag?: string): Promise<string> {
    return this.repo.replace(PARTITION, job.id, toRow(job), etag);
  }

  async delete(id: string): Promise<boolean> {
    return this.repo.delete(PARTITION, id);
  }
}
