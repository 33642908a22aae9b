// The options that describe a job, shared by `job create` (all of them, the required ones checked
// together) and `job edit` (only those given). Each is turned into the API's field, and a refused
// field maps back to its option so the server's rule is reported against what the person typed.
import { stringOption, UsageError, type OptionSpec, type OptionValues } from './command';
import { parseSize } from './sizes';

export interface Job {
  id: string;
  name: string;
  connectionId: string;
  source: { container: string; prefix?: string; blobEndpoint?: string };
  destinationFolder: string;
  schedule: string;
  mode: string;
  /** schedule, events or both (older servers leave it out: schedule). */
  trigger?: string;
  retention?: { keepLast?: number };
  chunkSizeBytes: number;
  enabled: boolean;
  activeRunId?: string;
  encryption?: { mode: string };
}

/** API fields → options, so a refused value is reported against the option to fix (exit 2). */
export const JOB_FIELDS: Record<string, string> = {
  name: 'name',
  connectionId: 'connection',
  'source.container': 'container',
  'source.prefix': 'prefix',
  'source.blobEndpoint': 'blob-endpoint',
  destinationFolder: 'folder',
  schedule: 'schedule',
  mode: 'mode',
  trigger: 'trigger',
  chunkSizeBytes: 'chunk-size',
  'retention.keepLast': 'keep-last',
};

export const JOB_OPTIONS: Record<string, OptionSpec> = {
  name: { type: 'string', description: 'A name for the job' },
  connection: { type: 'string', description: 'The connection id (see `connection list`)' },
  container: { type: 'string', description: 'Source blob container' },
  prefix: { type: 'string', description: 'Only blobs whose names start with this' },
  folder: {
    type: 'string',
    description: "Destination folder under the connection's root folder ('' for the root itself)",
  },
  schedule: {
    type: 'string',
    description: "6-field NCRONTAB in UTC, e.g. '0 0 2 * * *' for 02:00 daily",
  },
  mode: {
    type: 'string',
    description: 'mirror (default: one copy kept in step) or snapshot (a dated folder per run)',
  },
  trigger: {
    type: 'string',
    description:
      'What starts backups: schedule, events (each blob copied seconds after it is written) or both (events, with the schedule as safety net; the default for new mirror jobs when the deployment delivers events)',
  },
  'keep-last': { type: 'string', description: 'Snapshot mode: keep this many most recent snapshots' },
  'chunk-size': {
    type: 'string',
    description:
      'Upload chunk size, e.g. 10MiB, 320KiB, 10M or bytes: a multiple of 320KiB, under 60MiB (default 10MiB)',
  },
  'blob-endpoint': {
    type: 'string',
    description: "Source storage account blob endpoint (default: the app's own, or Azurite locally)",
  },
};

function positiveInt(values: OptionValues, name: string): number | undefined {
  const text = stringOption(values, name);
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1)
    throw new UsageError(`--${name}: expected a whole number, got '${text}'`);
  return Number(text);
}

/**
 * The API body for the options given (absent options stay absent). `source` is sent whole, since
 * the API replaces it whole: the current job's source fills what was not given.
 */
export function jobBody(values: OptionValues, current?: Job['source']): Record<string, unknown> {
  const mode = stringOption(values, 'mode');
  if (mode !== undefined && mode !== 'mirror' && mode !== 'snapshot')
    throw new UsageError(`--mode: expected mirror or snapshot, got '${mode}'`);
  const trigger = stringOption(values, 'trigger');
  if (trigger !== undefined && !['schedule', 'events', 'both'].includes(trigger))
    throw new UsageError(`--trigger: expected schedule, events or both, got '${trigger}'`);
  const schedule = stringOption(values, 'schedule')?.trim();
  if (schedule !== undefined && schedule.split(/\s+/).length !== 6)
    throw new UsageError(
      `--schedule: expected 6 fields {second} {minute} {hour} {day} {month} {day-of-week}, e.g. '0 0 2 * * *', got '${schedule}'`,
    );
  const chunk = stringOption(values, 'chunk-size');
  const keepLast = positiveInt(values, 'keep-last');
  const sourceGiven = ['container', 'prefix', 'blob-endpoint'].some((n) => values[n] !== undefined);
  const body: Record<string, unknown> = {
    name: stringOption(values, 'name'),
    connectionId: stringOption(values, 'connection'),
    destinationFolder: stringOption(values, 'folder'),
    schedule,
    mode,
    trigger,
    retention: keepLast === undefined ? undefined : { keepLast },
    chunkSizeBytes: chunk === undefined ? undefined : parseSize(chunk, 'chunk-size'),
  };
  if (sourceGiven)
    body.source = {
      container: stringOption(values, 'container') ?? current?.container,
      prefix: stringOption(values, 'prefix') ?? current?.prefix,
      blobEndpoint: stringOption(values, 'blob-endpoint') ?? current?.blobEndpoint,
    };
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
}
