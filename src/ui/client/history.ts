// A job's run history: bytes copied and time taken per run as a chart, oldest to newest, and the
// list of runs, each of which opens in the run view.
import { api, enc } from './api';
import { barChart } from './chart';
import { openPanel, type Card } from './cards';
import { busy, button, fmtBytes, h, isFinished } from './core';
import { fmtDuration, parseTime } from './format';
import { runSummary, statusWords } from './health';
import { watchRun } from './runs';
import type { Job, RunList, RunView } from './types';

function durationMs(run: RunView): number | undefined {
  const start = parseTime(run.startedAt || run.createdAt);
  const end = parseTime(run.endedAt);
  return start && end ? end.getTime() - start.getTime() : undefined;
}

function historyChart(runs: RunView[]): HTMLElement {
  const finished = runs.filter(isFinished).reverse();
  if (finished.length < 2)
    return h('p', { className: 'meta', text: 'The chart appears after two finished runs.' });
  const maxBytes = Math.max(...finished.map((r) => r.totals?.uploadedBytes || 0));
  const maxTime = Math.max(...finished.map((r) => durationMs(r) || 0));
  return h('div', { className: 'chart-box', attrs: { 'data-field': 'history-chart' } }, [
    barChart(
      finished.map((r) => ({
        value: r.totals?.uploadedBytes || 0,
        dot: (durationMs(r) || 0) / 1000,
        className: 'bar-' + r.status,
        title: runSummary(r),
      })),
      'Bytes copied (bars) and time taken (dots) for the last ' + finished.length + ' runs',
      ['bars: bytes, up to ' + fmtBytes(maxBytes), 'dots: time, up to ' + fmtDuration(maxTime)],
    ),
  ]);
}

export async function openHistory(
  card: Card & { slot: HTMLElement },
  j: Job,
  control: HTMLButtonElement,
): Promise<void> {
  const data = await busy(control, card.error, () => api<RunList>('GET', 'jobs/' + enc(j.id) + '/runs'));
  if (!data) return;
  const runs = (data.runs || []) as RunView[];
  const list = runs.length
    ? h(
        'ul',
        { className: 'list', attrs: { 'aria-label': 'Runs' } },
        runs.map((r) =>
          h('li', { attrs: { 'data-run-id': r.id } }, [
            h('span', {}, [
              h('span', { className: 'status-' + r.status, text: statusWords(r.status) }),
              ' \u00b7 ' + (r.kind || 'backup') + ' \u00b7 ' + runSummary(r, false),
            ]),
            button(
              'Show',
              () => watchRun(r.id, (r.kind === 'restore' ? 'Restore: ' : 'Backup: ') + j.name, j.id),
              { 'aria-label': 'Show run ' + r.id },
            ),
          ]),
        ),
      )
    : h('p', { className: 'meta', text: 'No runs yet.' });
  openPanel(card, 'Run history', [historyChart(runs), list]);
}
