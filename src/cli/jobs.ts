// `job create` and `job list`: what to back up (a container, a prefix), where (a connection and a
// folder under its root), when (6-field NCRONTAB, UTC) and how (mirror or snapshot, chunk size).
// The server validates every rule; its answers name the field, reported here as the option.
import { clientFrom, CONNECT_OPTIONS, JSON_OPTION, type ApiClient } from './client';
import { requiredOptions, writeLine, type CliIO, type Command } from './command';
import { formatBytes, printJson, printTable } from './format';
import { encryptionBody, ENCRYPTION_FIELDS, ENCRYPTION_OPTIONS } from './jobEncryption';
import { jobBody, JOB_FIELDS, JOB_OPTIONS, type Job } from './jobOptions';

const REQUIRED = {
  name: 'a name for the job, e.g. --name "Nightly dumps"',
  connection: 'the connection id from `connection list`',
  container: 'the source blob container, e.g. --container demo-source',
  folder: "the destination under the connection's root folder, e.g. --folder demo",
  schedule: "6-field NCRONTAB in UTC, e.g. --schedule '0 0 2 * * *'",
};

/** The job in a few lines: what goes where, how, and when (in plain words when the app can say). */
export async function printJob(io: CliIO, client: ApiClient, job: Job): Promise<void> {
  // The plain-words schedule is a nicety: a failure to fetch it must not fail the command.
  const words = await client
    .get<{ description?: string }>('ui/schedule', { query: { expression: job.schedule } })
    .then((r) => r.description)
    .catch(() => undefined);
  writeLine(
    io.stdout,
    `  ${job.source.container}/${job.source.prefix ?? ''} → ${job.destinationFolder || '(root folder)'}, ${job.mode}, ${job.trigger === 'events' ? 'on blob events' : job.trigger === 'both' ? 'on blob events and its schedule' : 'on its schedule'}, chunks of ${formatBytes(job.chunkSizeBytes)}`,
  );
  writeLine(
    io.stdout,
    `  schedule ${job.schedule}${words ? ` (${words})` : ''}${job.enabled ? '' : ', disabled'}`,
  );
}

const createCommand: Command = {
  path: ['job', 'create'],
  summary: 'Create a backup job from a container to a folder of a connection',
  usage:
    "--name <name> --connection <id> --container <name> --folder <path> --schedule '<6-field cron>' [--prefix <p>] [--mode mirror|snapshot] [--trigger schedule|events|both] [--keep-last <n>] [--chunk-size <10MiB>] [--blob-endpoint <url>] [--encrypt rclone-crypt [--filename-encryption standard|obfuscate|off] [--directory-name-encryption true|false] [--filename-encoding base32|base64|base32768] [--password-file <path>]]",
  options: { ...JOB_OPTIONS, ...ENCRYPTION_OPTIONS, ...CONNECT_OPTIONS, ...JSON_OPTION },
  async run(values, io) {
    requiredOptions(values, REQUIRED, ['folder']);
    const body = jobBody(values);
    const encryption = await encryptionBody(values);
    if (encryption) body.encryption = encryption;
    const client = clientFrom(values, io);
    const job = await client.post<Job>('jobs', { body, fields: { ...JOB_FIELDS, ...ENCRYPTION_FIELDS } });
    if (values.json) {
      printJson(io, job);
      return 0;
    }
    writeLine(io.stdout, `Created job '${job.name}' (${job.id}).`);
    await printJob(io, client, job);
    if (job.encryption?.mode === 'rclone-crypt')
      writeLine(
        io.stdout,
        `Encrypted (rclone crypt). Without its passwords the backup is lost: save them now with ${client.hints.command('job', 'keys', job.id)}`,
      );
    writeLine(io.stdout, `Run it now with: ${client.hints.command('run', job.id)}`);
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
