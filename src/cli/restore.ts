// `restore <jobId> --container <name>`: copies a job's backup from OneDrive back into a blob
// container, then follows the restore run like `run` does (exit 0 only when it succeeded).
import { clientFrom, CONNECT_OPTIONS, JSON_OPTION } from './client';
import { requiredOptions, stringOption, UsageError, writeLine, type Command } from './command';
import { printJson } from './format';
import { followRun } from './progress';

const OVERWRITE = ['fail-if-exists', 'skip-existing', 'overwrite'];

interface Started {
  runId: string;
  status: string;
  source?: string;
  folder?: string;
}

export const restoreCommand: Command = {
  path: ['restore'],
  summary: "Restore a job's backup into a blob container and follow it until it ends",
  usage:
    '--container <name> [--overwrite fail-if-exists|skip-existing|overwrite] [--prefix <p>] [--snapshot <folder|latest>] [--no-wait] [--json]',
  positionals: ['jobId'],
  options: {
    container: { type: 'string', description: 'Target container (required; created when missing)' },
    overwrite: {
      type: 'string',
      description: `When a blob exists: ${OVERWRITE.join(', ')} (default fail-if-exists)`,
    },
    prefix: { type: 'string', description: 'Only files whose names start with this' },
    snapshot: { type: 'string', description: 'Snapshot mode: the snapshot folder to restore, or latest' },
    'no-wait': { type: 'boolean', description: 'Start the restore and return at once' },
    ...CONNECT_OPTIONS,
    ...JSON_OPTION,
  },
  async run(values, io, [jobId]) {
    const overwrite = stringOption(values, 'overwrite');
    if (overwrite !== undefined && !OVERWRITE.includes(overwrite))
      throw new UsageError(`--overwrite: expected one of ${OVERWRITE.join(', ')}, got '${overwrite}'`);
    const body = {
      targetContainer: requiredOptions(values, {
        container: 'the container to restore into, e.g. --container restored',
      }).container,
      overwrite,
      prefix: stringOption(values, 'prefix'),
      snapshot: stringOption(values, 'snapshot'),
    };
    const client = clientFrom(values, io);
    const started = await client.post<Started>(`jobs/${encodeURIComponent(jobId!)}/restore`, {
      body,
      fields: {
        targetContainer: 'container',
        overwrite: 'overwrite',
        prefix: 'prefix',
        snapshot: 'snapshot',
      },
      notFoundHint: 'list the jobs with `job list`',
      context: { jobId },
    });
    if (values['no-wait']) {
      if (values.json) printJson(io, started);
      else
        writeLine(
          io.stdout,
          `Started restore run ${started.runId}. Follow it with: ${client.hints.command('run', '--follow', started.runId)}`,
        );
      return 0;
    }
    if (!values.json)
      writeLine(
        io.stdout,
        `Started restore run ${started.runId}${started.folder ? ` from ${started.folder}` : ''} into container ${body.targetContainer}.`,
      );
    return followRun(client, started.runId, io, { json: Boolean(values.json) });
  },
};
