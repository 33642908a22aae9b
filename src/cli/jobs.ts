// `job create` and `job list`: what to back up (a container, a prefix), where (a connection and a
// folder under its root), when (6-field NCRONTAB, UTC) and how (mirror or snapshot, chunk size).
// The server validates every rule; its answers name the field, reported here as the option.
import { clientFrom, CONNECT_OPTIONS, JSON_OPTION } from './client';
import {
  requiredOption,
  stringOption,
  UsageError,
  writeLine,
  type Command,
  type OptionValues,
} from './command';
import { formatBytes, printJson, printTable } from './format';

interface Job {
  id: string;
  name: string;
  connectionId: string;
  source: { container: string; prefix?: string; blobEndpoint?: string };
  destinationFolder: string;
  schedule: string;
  mode: string;
  chunkSizeBytes: number;
  enabled: boolean;
  activeRunId?: string;
}

/** API fields → options, so a refused value is reported against the option to fix (exit 2). */
const JOB_FIELDS: Record<string, string> = {
  name: 'name',
  connectionId: 'connection',
  'source.container': 'container',
  'source.prefix': 'prefix',
  'source.blobEndpoint': 'blob-endpoint',
  destinationFolder: 'folder',
  schedule: 'schedule',
  mode: 'mode',
  chunkSizeBytes: 'chunk-size',
  'retention.keepLast': 'keep-last',
};

const UNITS: Record<string, number> = { '': 1, b: 1, kib: 1024, mib: 1024 * 1024 };

/** "10MiB", "320KiB" or a number of bytes; the server checks the 320 KiB multiple and the 60 MiB limit. */
export function parseChunkSize(text: string): number {
  const match = /^(\d+)\s*(b|kib|mib)?$/i.exec(text.trim());
  if (!match)
    throw new UsageError(`--chunk-size: expected bytes or a size like 10MiB or 320KiB, got '${text}'`);
  return Number(match[1]) * UNITS[(match[2] ?? '').toLowerCase()]!;
}

function positiveInt(values: OptionValues, name: string): number | undefined {
  const text = stringOption(values, name);
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1)
    throw new UsageError(`--${name}: expected a whole number, got '${text}'`);
  return Number(text);
}

const createCommand: Command = {
  path: ['job', 'create'],
  summary: 'Create a backup job from a container to a folder of a connection',
  usage:
    "--name <name> --connection <id> --container <name> --folder <path> --schedule '<6-field cron>' [--prefix <p>] [--mode mirror|snapshot] [--keep-last <n>] [--chunk-size <10MiB>] [--blob-endpoint <url>]",
  options: {
    name: { type: 'string', description: 'A name for the job (required)' },
    connection: { type: 'string', description: 'The connection id (required; see `connection list`)' },
    container: { type: 'string', description: 'Source blob container (required)' },
    prefix: { type: 'string', description: 'Only blobs whose names start with this' },
    folder: {
      type: 'string',
      description: "Destination folder under the connection's root folder (required; '' for the root itself)",
    },
    schedule: {
      type: 'string',
      description: "6-field NCRONTAB in UTC, e.g. '0 0 2 * * *' for 02:00 daily (required)",
    },
    mode: {
      type: 'string',
      description: 'mirror (default: one copy kept in step) or snapshot (a dated folder per run)',
    },
    'keep-last': { type: 'string', description: 'Snapshot mode: keep this many most recent snapshots' },
    'chunk-size': {
      type: 'string',
      description: 'Upload chunk size: a multiple of 320KiB under 60MiB (default 10MiB)',
    },
    'blob-endpoint': {
      type: 'string',
      description: "Source storage account blob endpoint (default: the app's own, or Azurite locally)",
    },
    ...CONNECT_OPTIONS,
    ...JSON_OPTION,
  },
  async run(values, io) {
    const mode = stringOption(values, 'mode');
    if (mode !== undefined && mode !== 'mirror' && mode !== 'snapshot')
      throw new UsageError(`--mode: expected mirror or snapshot, got '${mode}'`);
    const folder = stringOption(values, 'folder');
    if (folder === undefined)
      throw new UsageError(
        "--folder is required: the destination under the connection's root folder, e.g. --folder demo",
      );
    const schedule = requiredOption(
      values,
      'schedule',
      "6-field NCRONTAB in UTC, e.g. --schedule '0 0 2 * * *'",
    );
    if (schedule.split(/\s+/).length !== 6)
      throw new UsageError(
        `--schedule: expected 6 fields {second} {minute} {hour} {day} {month} {day-of-week}, e.g. '0 0 2 * * *', got '${schedule}'`,
      );
    const chunk = stringOption(values, 'chunk-size');
    const keepLast = positiveInt(values, 'keep-last');
    const body = {
      name: requiredOption(values, 'name', 'a name for the job, e.g. --name "Nightly dumps"'),
      connectionId: requiredOption(values, 'connection', 'the connection id from `connection list`'),
      source: {
        container: requiredOption(
          values,
          'container',
          'the source blob container, e.g. --container demo-source',
        ),
        prefix: stringOption(values, 'prefix'),
        blobEndpoint: stringOption(values, 'blob-endpoint'),
      },
      destinationFolder: folder,
      schedule,
      mode,
      retention: keepLast === undefined ? undefined : { keepLast },
      chunkSizeBytes: chunk === undefined ? undefined : parseChunkSize(chunk),
    };
    const client = clientFrom(values, io);
    const job = await client.post<Job>('jobs', { body, fields: JOB_FIELDS });
    if (values.json) {
      printJson(io, job);
      return 0;
    }
    // The plain-words schedule is a nicety: a failure to fetch it must not fail the creation.
    const words = await client
      .get<{ description?: string }>('ui/schedule', { query: { expression: job.schedule } })
      .then((r) => r.description)
      .catch(() => undefined);
    writeLine(io.stdout, `Created job '${job.name}' (${job.id}).`);
    writeLine(
      io.stdout,
      `  ${job.source.container}/${job.source.prefix ?? ''} → ${job.destinationFolder || '(root folder)'}, ${job.mode}, chunks of ${formatBytes(job.chunkSizeBytes)}`,
    );
    writeLine(io.stdout, `  schedule ${job.schedule}${words ? ` (${words})` : ''}`);
    writeLine(io.stdout, `Run it now with: npm run cli -- run ${job.id}`);
    return 0;
  },
};

const listCommand: Command = {
  path: ['job', 'list'],
  summary: 'List the backup jobs',
  usage: '[--json]',
  options: { ...CONNECT_OPTIONS, ...JSON_OPTION },
  async run(values, io) {
    const { jobs } = await clientFrom(values, io).get<{ jobs: Job[] }>('jobs');
    if (values.json) {
      printJson(io, { jobs });
      return 0;
    }
    printTable(
      io,
      ['ID', 'NAME', 'SOURCE', 'DESTINATION', 'MODE', 'SCHEDULE', 'STATE'],
      jobs.map((j) => [
        j.id,
        j.name,
        `${j.source.container}/${j.source.prefix ?? ''}`,
        j.destinationFolder || '(root folder)',
        j.mode,
        j.schedule,
        j.activeRunId ? `running ${j.activeRunId}` : j.enabled ? 'idle' : 'disabled',
      ]),
      'No jobs yet: create one with `job create`.',
    );
    return 0;
  },
};

export const jobCommands: Command[] = [createCommand, listCommand];
