// `job edit | disable | enable | delete`: changing a job after it was created. Edit sends only the
// options given (PATCH), so anything not named on the command line stays as it is; disable and
// enable flip whether the scheduler starts it (run-now still works on a disabled job).
import { clientFrom, CONNECT_OPTIONS, JSON_OPTION } from './client';
import { UsageError, writeLine, type Command } from './command';
import { printJson } from './format';
import { jobBody, JOB_FIELDS, JOB_OPTIONS, type Job } from './jobOptions';
import { printJob } from './jobs';

const NOT_FOUND = 'list the jobs with `job list`';

const editCommand: Command = {
  path: ['job', 'edit'],
  summary: 'Change a job: only the options given change',
  usage:
    "[--name <name>] [--connection <id>] [--container <name>] [--prefix <p>] [--folder <path>] [--schedule '<6-field cron>'] [--mode mirror|snapshot] [--trigger schedule|events|both] [--keep-last <n>] [--chunk-size <10MiB>] [--blob-endpoint <url>] [--json]",
  positionals: ['jobId'],
  options: { ...JOB_OPTIONS, ...CONNECT_OPTIONS, ...JSON_OPTION },
  async run(values, io, [id]) {
    const given = Object.keys(JOB_OPTIONS).filter((name) => values[name] !== undefined);
    if (given.length === 0)
      throw new UsageError(
        `Nothing to change: give at least one of ${Object.keys(JOB_OPTIONS)
          .map((n) => `--${n}`)
          .join(', ')}`,
      );
    const client = clientFrom(values, io);
    const path = `jobs/${encodeURIComponent(id!)}`;
    const sourceGiven = ['container', 'prefix', 'blob-endpoint'].some((n) => given.includes(n));
    // The API replaces the source whole, so changing its prefix alone needs its container.
    const current = sourceGiven ? await client.get<Job>(path, { notFoundHint: NOT_FOUND }) : undefined;
    const job = await client.patch<Job>(path, {
      body: jobBody(values, current?.source),
      fields: JOB_FIELDS,
      notFoundHint: NOT_FOUND,
    });
    if (values.json) {
      printJson(io, job);
      return 0;
    }
    writeLine(io.stdout, `Changed job '${job.name}' (${job.id}): ${given.map((n) => `--${n}`).join(', ')}.`);
    await printJob(io, client, job);
    return 0;
  },
};

function enabledCommand(enabled: boolean): Command {
  const word = enabled ? 'enable' : 'disable';
  return {
    path: ['job', word],
    summary: enabled
      ? 'Let the scheduler start the job again'
      : 'Stop the scheduler from starting the job (it can still be run by hand)',
    usage: '[--json]',
    positionals: ['jobId'],
    options: { ...CONNECT_OPTIONS, ...JSON_OPTION },
    async run(values, io, [id]) {
      const client = clientFrom(values, io);
      const job = await client.patch<Job>(`jobs/${encodeURIComponent(id!)}`, {
        body: { enabled },
        notFoundHint: NOT_FOUND,
      });
      if (values.json) printJson(io, job);
      else
        writeLine(
          io.stdout,
          enabled
            ? `Enabled job '${job.name}' (${job.id}): it runs on its schedule ${job.schedule}.`
            : `Disabled job '${job.name}' (${job.id}): it no longer runs on schedule. Enable it again with: ${client.hints.command('job', 'enable', job.id)}`,
        );
      return 0;
    },
  };
}

const deleteCommand: Command = {
  path: ['job', 'delete'],
  summary: 'Delete a job and its schedule (the backed-up files in OneDrive stay)',
  usage: '[--json]',
  positionals: ['jobId'],
  options: { ...CONNECT_OPTIONS, ...JSON_OPTION },
  async run(values, io, [id]) {
    await clientFrom(values, io).delete(`jobs/${encodeURIComponent(id!)}`, { notFoundHint: NOT_FOUND });
    if (values.json) printJson(io, { id, deleted: true });
    else writeLine(io.stdout, `Deleted job ${id}. Its backed-up files in OneDrive were left as they are.`);
    return 0;
  },
};

export const jobEditCommands: Command[] = [
  editCommand,
  enabledCommand(false),
  enabledCommand(true),
  deleteCommand,
];
