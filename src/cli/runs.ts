// `run <jobId>` starts a backup now and follows it to its end (exit 0 only when it succeeded);
// `run --follow <runId>` follows a run already started (by the schedule, `--no-wait` or a restore);
// `runs <jobId>` lists a job's recent runs and `runs show <runId>` tells one run in full.
import { clientFrom, CONNECT_OPTIONS, JSON_OPTION } from './client';
import { writeLine, type Command } from './command';
import { formatBytes, printJson, printTable } from './format';
import { followRun, type RunView } from './progress';
import { printRunSummary } from './runReport';

const NOT_FOUND = 'list the jobs with `job list`';
const RUN_NOT_FOUND = "list a job's runs with `runs <jobId>`";

const runCommand: Command = {
  path: ['run'],
  summary: 'Run a backup job now and follow its progress until it ends (or --follow a started run)',
  usage: '[--no-wait] [--json]   or: run --follow <runId> [--json]',
  positionals: ['jobId'],
  positionalsFor: (values) => (values.follow ? ['runId'] : ['jobId']),
  options: {
    'no-wait': {
      type: 'boolean',
      description: 'Start the run and return at once (follow it later with `run --follow <runId>`)',
    },
    follow: {
      type: 'boolean',
      description: 'The argument is a run id: follow that run (already started) until it ends',
    },
    ...CONNECT_OPTIONS,
    ...JSON_OPTION,
  },
  async run(values, io, [id]) {
    const client = clientFrom(values, io);
    const json = Boolean(values.json);
    if (values.follow) {
      if (!json) writeLine(io.stdout, `Following run ${id}.`);
      return followRun(client, id!, io, { json, notFoundHint: RUN_NOT_FOUND });
    }
    const run = await client.post<RunView>(`jobs/${encodeURIComponent(id!)}/run`, {
      notFoundHint: NOT_FOUND,
      context: { jobId: id },
    });
    if (values['no-wait']) {
      if (json) printJson(io, run);
      else
        writeLine(
          io.stdout,
          `Started backup run ${run.id} (${run.status}). Follow it with: ${client.hints.command('run', '--follow', run.id)}`,
        );
      return 0;
    }
    if (!json) writeLine(io.stdout, `Started backup run ${run.id}.`);
    return followRun(client, run.id, io, { json });
  },
};

const runsCommand: Command = {
  path: ['runs'],
  summary: "List a job's recent runs (backups and restores), newest first",
  usage: '[--json]',
  positionals: ['jobId'],
  options: { ...CONNECT_OPTIONS, ...JSON_OPTION },
  async run(values, io, [jobId]) {
    const client = clientFrom(values, io);
    const { runs } = await client.get<{ runs: RunView[] }>(`jobs/${encodeURIComponent(jobId!)}/runs`, {
      notFoundHint: NOT_FOUND,
    });
    if (values.json) {
      printJson(io, { runs });
      return 0;
    }
    printTable(
      io,
      ['RUN', 'KIND', 'STATUS', 'STARTED', 'FILES', 'BYTES'],
      runs.map((r) => {
        const t = r.totals;
        return [
          r.id,
          r.trigger === 'events' ? `${r.kind} (events)` : r.kind,
          r.status,
          (r.startedAt ?? r.createdAt).replace('T', ' ').slice(0, 19),
          t
            ? `${t.uploadedFiles ?? 0}/${t.plannedFiles ?? 0}${t.failedFiles ? ` (${t.failedFiles} failed)` : ''}`
            : '-',
          t ? formatBytes(t.uploadedBytes) : '-',
        ];
      }),
      `No runs yet: start one with ${client.hints.quoted('run', jobId!)}.`,
    );
    if (runs.length > 0)
      writeLine(io.stdout, `Details of one: ${client.hints.command('runs', 'show', '<run id>')}`);
    return 0;
  },
};

const when = (iso: string | undefined) => (iso ? iso.replace('T', ' ').slice(0, 19) : '-');

const showCommand: Command = {
  path: ['runs', 'show'],
  summary: 'Show one run: its figures, why it failed, and each failed file with its reason',
  usage: '[--json]',
  positionals: ['runId'],
  options: { ...CONNECT_OPTIONS, ...JSON_OPTION },
  async run(values, io, [runId]) {
    const client = clientFrom(values, io);
    const run = await client.get<RunView>(`runs/${encodeURIComponent(runId!)}`, {
      notFoundHint: RUN_NOT_FOUND,
    });
    if (values.json) {
      printJson(io, run);
      return 0;
    }
    writeLine(
      io.stdout,
      `Job ${run.jobId}, ${run.kind}${run.trigger ? ` (${run.trigger})` : ''}: created ${when(run.createdAt)}, started ${when(run.startedAt)}, ended ${when(run.endedAt)} UTC.`,
    );
    printRunSummary(io, client.hints, run);
    return 0;
  },
};

export const runCommands: Command[] = [runCommand, runsCommand, showCommand];
