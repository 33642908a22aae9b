// A job's health at a glance: its last result with the time and, when it failed, why; its next
// run in UTC and in the browser's time; and its last 30 runs as coloured marks with a tooltip each.
import { fmtBytes, h, isFinished } from './core';
import { fmtDuration, fmtLocal, fmtRelative, fmtUtc, parseTime } from './format';
import { filesText, runCounts } from './runText';
import type { Job, RunView, ScheduleDescription } from './types';

export const STRIP_LENGTH = 30;

const STATUS_WORDS: Record<string, string> = {
  succeeded: 'succeeded',
  'partially-failed': 'partly failed',
  failed: 'failed',
  'timed-out': 'timed out',
  queued: 'queued',
  running: 'running',
};

export function statusWords(status: string): string {
  return STATUS_WORDS[status] || status;
}

function runTime(run: RunView): Date | undefined {
  return parseTime(run.endedAt || run.startedAt || run.createdAt);
}

/** One line for a run's tooltip and the history list. */
export function runSummary(run: RunView, withStatus = true): string {
  const at = parseTime(run.startedAt || run.createdAt);
  const ended = parseTime(run.endedAt);
  const parts = [at ? fmtUtc(at) : '', withStatus ? statusWords(run.status) : ''];
  if (isFinished(run)) {
    parts.push(filesText(run, runCounts(run), true));
    parts.push(fmtBytes(run.totals?.uploadedBytes || 0) + ' copied');
    if (at && ended) parts.push('took ' + fmtDuration(ended.getTime() - at.getTime()));
  }
  if (run.error) parts.push(run.error);
  return parts.filter(Boolean).join(' \u00b7 ');
}

function strip(runs: RunView[]): HTMLElement {
  const shown = runs.slice(0, STRIP_LENGTH).reverse();
  const counts: Record<string, number> = {};
  shown.forEach((r) => {
    counts[r.status] = (counts[r.status] || 0) + 1;
  });
  const label =
    'Last ' +
    shown.length +
    ' runs: ' +
    Object.keys(counts)
      .map((s) => counts[s] + ' ' + statusWords(s))
      .join(', ');
  return h('div', { className: 'strip' }, [
    h('span', { className: 'meta', text: 'Recent runs', attrs: { 'aria-hidden': 'true' } }),
    h(
      'span',
      { className: 'marks', attrs: { role: 'img', 'aria-label': label, 'data-field': 'run-strip' } },
      shown.map((r) =>
        h('span', {
          className: 'mark mark-' + r.status,
          attrs: { title: runSummary(r), 'data-status': r.status, 'data-run-id': r.id },
        }),
      ),
    ),
  ]);
}

function lastResult(runs: RunView[], reason: string | undefined): HTMLElement {
  const last = runs.find(isFinished);
  if (!last)
    return h('p', { className: 'meta', attrs: { 'data-field': 'last-result' }, text: 'Not run yet.' });
  const at = runTime(last);
  const ok = last.status === 'succeeded';
  const why = ok ? '' : reason || last.error;
  return h('p', { className: ok ? 'health ok' : 'health bad', attrs: { 'data-field': 'last-result' } }, [
    h('strong', { text: 'Last run ' + statusWords(last.status) }),
    at ? ' ' + fmtRelative(at) + ' (' + fmtUtc(at) + ')' : '',
    ': ' + filesText(last, runCounts(last), true),
    why ? h('span', { className: 'why', text: ' \u2014 ' + why }) : null,
  ]);
}

function nextRun(job: Job, schedule: ScheduleDescription | undefined): HTMLElement {
  const attrs = { 'data-field': 'next-run' };
  if (!job.enabled)
    return h('p', { className: 'meta', attrs, text: 'Next run: none (the job is disabled).' });
  const next = schedule && parseTime(schedule.next[0]);
  if (!next) return h('p', { className: 'meta', attrs, text: 'Next run: \u2026' });
  return h('p', { className: 'meta', attrs }, [
    h('strong', { text: 'Next run ' + fmtRelative(next) }),
    ': ' + fmtUtc(next) + ' (' + fmtLocal(next) + ' your time)',
  ]);
}

/** `reason` is the first failed file's reason when the run itself carries none. */
export function renderHealth(
  node: HTMLElement,
  job: Job,
  runs: RunView[],
  schedule: ScheduleDescription | undefined,
  reason: string | undefined,
): void {
  const backups = runs.filter((r) => r.kind !== 'restore');
  node.replaceChildren(
    lastResult(backups, reason),
    nextRun(job, schedule),
    backups.length ? strip(backups) : h('span'),
  );
}
