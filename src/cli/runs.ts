// `run <jobId>` starts a backup now and follows it to its end (exit 0 only when it succeeded);
// `runs <jobId>` lists a job's recent backup and restore runs.
import { clientFrom, CONNECT_OPTIONS, JSON_OPTION } from './client';
import { writeLine, type Command } from './command';
import { formatBytes, printJson, printTable } from './format';
import { followRun, type RunView } from './progress';

const NOT_FOUND = 'list the jobs with `job list`';

const runCommand: Command = {
  path: ['run'],
  summary: 'Run a backup job now and follow its progress until it ends',
  usage: '[--no-wait] [--json]',
  positionals: ['jobId'],
  options: {
    'no-wait': {
      type: 'boolean',
      description: 'Start the run and return at once (follow it with `runs <jobId>`)',
    },
    ...CONNECT_OPTIONS,
    ...JSON_OPTION,
  },
  async run(values, io, [jobId]) {
    const client = clientFrom(values, io);
    const run = await client.post<RunView>(`jobs/${encodeURIComponent(jobId!)}/run`, {
      notFoundHint: NOT_FOUND,
    });
    if (values['no-wait']) {
      if (values.json) printJson(io, run);
      else
        writeLine(
          io.stdout,
          `Started backup run ${run.id} (${run.status}). Follow it with: npm run cli -- runs ${jobId}`,
        );
      return 0;
    }
    if (!values.json) writeLine(io.stdout, `Started backup run ${run.id}.`);
    return followRun(client, run.id, io, { json: Boolean(values.json) });
  },
};

const runsCommand: Command = {
  path: ['runs'],
  summary: "List a job's recent runs (backups and restores), newest first",
  usage: '[--json]',
  positionals: ['jobId'],
  options: { ...CONNECT_OPTIONS, ...JSON_OPTION },
  async run(values, io, [jobId]) {
    const { runs } = await clientFrom(values, io).get<{ runs: RunView[] }>(
      `jobs/${encodeURIComponent(jobId!)}/runs`,
      { notFoundHint: NOT_FOUND },
    );
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
          r.kind,
          r.status,
          (r.startedAt ?? r.createdAt).replace('T', ' ').slice(0, 19),
          t
            ? `${t.uploadedFiles ?? 0}/${t.plannedFiles ?? 0}${t.failedFiles ? ` (${t.failedFiles} failed)` : ''}`
            : '-',
          t ? formatBytes(t.uploadedBytes) : '-',
        ];
      }),
      `No runs yet: start one with \`run ${jobId}\`.`,
    );
    return 0;
  },
};

export const runCommands: Command[] = [runCommand, runsCommand];
