// Live progress of a backup or restore run, polled from GET runs/{id} until it ends.
import { api, enc, isKeyRefusal } from './api';
import { $, clearError, fmtBytes, fmtTime, h, isFinished, plural, showError } from './core';
import { refreshJobs } from './jobs';
import type { RunView } from './types';

type Totals = NonNullable<RunView['totals']>;

// One run is watched at a time; a poll that finds another run's token in place stops quietly.
let runPoll: number | null = null;
let runToken: object | null = null;

export function stopRunPoll(): void {
  if (runPoll) window.clearTimeout(runPoll);
  runPoll = null;
  runToken = null;
}

export function watchRun(runId: string, title: string): void {
  stopRunPoll();
  const section = $('run-section');
  section.hidden = false;
  // A new run starts unfinished: a status left from the previous run must never read as this one's.
  section.setAttribute('data-run-status', 'starting');
  section.setAttribute('data-run-id', runId);
  $('run-title').textContent = title;
  $('run-view').replaceChildren(h('p', { className: 'meta', text: 'Starting\u2026' }));
  clearError($('run-error'));
  $('run-title').setAttribute('tabindex', '-1');
  $('run-title').focus();
  const token = {};
  runToken = token;
  async function poll(): Promise<void> {
    if (runToken !== token) return;
    let run: RunView | undefined;
    try {
      run = await api<RunView>('GET', 'runs/' + enc(runId));
      clearError($('run-error'));
    } catch (error) {
      if (isKeyRefusal(error)) return;
      showError($('run-error'), error);
    }
    if (runToken !== token) return;
    if (run) renderRun(run);
    if (run && isFinished(run)) {
      runPoll = null;
      refreshJobs();
      return;
    }
    runPoll = window.setTimeout(poll, 1000);
  }
  poll();
}

function throughput(run: RunView, t: Totals): number {
  if (run.throughputBytesPerSecond) return run.throughputBytesPerSecond;
  const started = Date.parse(run.startedAt || run.createdAt);
  const ended = run.endedAt ? Date.parse(run.endedAt) : Date.now();
  const seconds = (ended - started) / 1000;
  return seconds > 0 ? (t.uploadedBytes || 0) / seconds : 0;
}

function filesText(run: RunView, t: Totals, done: number, finished: boolean): string {
  const restore = run.kind === 'restore';
  return (
    done +
    ' of ' +
    (t.plannedFiles || 0) +
    (restore ? ' restored' : ' uploaded') +
    (t.skippedFiles ? ', ' + t.skippedFiles + ' unchanged' : '') +
    (t.failedFiles ? ', ' + t.failedFiles + ' failed' : '') +
    (run.planningComplete === false && !finished ? ' (still listing)' : '')
  );
}

function failureList(run: RunView): Node[] {
  const failures = run.failures || [];
  if (!failures.length) return [];
  return [
    h('h3', { text: 'Failed files' }),
    h(
      'ul',
      { className: 'failures', attrs: { 'aria-label': 'Failed files' } },
      failures.map((f) =>
        h('li', {}, [
          h('code', { text: f.file || f.blobName || '' }),
          ': ',
          f.reason || f.code || 'failed',
          f.attempts ? ' (' + plural(f.attempts, 'attempt') + ')' : '',
        ]),
      ),
    ),
  ];
}

function renderRun(run: RunView): void {
  const t: Totals = run.totals || {};
  // A restore's plan includes files it finds already identical (skipped); a backup plans only the
  // files it will upload, and counts unchanged ones beside the plan.
  const done =
    (t.uploadedFiles || 0) + (t.failedFiles || 0) + (run.kind === 'restore' ? t.skippedFiles || 0 : 0);
  const planned = t.plannedFiles || 0;
  const finished = isFinished(run);
  const bar = h('progress', {
    attrs: {
      max: String(Math.max(planned, 1)),
      value: String(finished && planned === 0 ? 1 : done),
      'aria-label': 'Files done',
    },
  });
  const figures: [string, Node | string][] = [
    [
      'Status',
      h('span', {
        className: 'status-' + run.status,
        text: run.status,
        attrs: { 'data-field': 'run-status' },
      }),
    ],
    ['Files', h('span', { attrs: { 'data-field': 'run-files' }, text: filesText(run, t, done, finished) })],
    ['Bytes', fmtBytes(t.uploadedBytes) + ' of ' + fmtBytes(t.plannedBytes)],
    ['Throughput', fmtBytes(throughput(run, t)) + '/s'],
    ['Started', fmtTime(run.startedAt || run.createdAt)],
  ];
  if (run.endedAt) figures.push(['Ended', fmtTime(run.endedAt)]);
  if (run.snapshotFolder) figures.push(['Snapshot', run.snapshotFolder]);
  if (run.error) figures.push(['Problem', run.error]);
  const dl = h('dl', { className: 'figures' });
  figures.forEach(([term, value]) => dl.append(h('dt', { text: term }), h('dd', {}, [value])));
  $('run-view').replaceChildren(h('div', { className: 'progress' }, [bar]), dl, ...failureList(run));
  $('run-section').setAttribute('data-run-id', run.id);
  $('run-section').setAttribute('data-run-status', run.status);
}
