// The jobs list: each job's card with Run now, recent runs, the restore form and Delete.
import { api, enc, isKeyRefusal } from './api';
import { CardList, createCard, openPanel, type Card } from './cards';
import { $, busy, button, clearError, fmtBytes, fmtTime, h, plural, showError } from './core';
import { describeSchedule, editJob } from './jobForm';
import { watchRun } from './runs';
import { findConnection, state } from './state';
import type { Job, JobList, RunList, StartedRun } from './types';

const jobCards = new CardList<Job, Card>((id) => createCard({ 'data-job-id': id }), renderJobInfo);

export async function refreshJobs(): Promise<void> {
  try {
    const data = await api<JobList | null>('GET', 'jobs');
    state.jobs = (data && data.jobs) || [];
    clearError($('jobs-error'));
  } catch (error) {
    if (!isKeyRefusal(error)) showError($('jobs-error'), error);
    return;
  }
  renderJobs();
}

export function renderJobs(): void {
  jobCards.show($('job-list'), state.jobs, 'No backup jobs yet: create one below.');
}

function retentionText(j: Job): string {
  const r = j.retention || {};
  const parts: string[] = [];
  if (r.keepLast) parts.push('keep last ' + r.keepLast);
  if (r.maxAgeDays) parts.push('at most ' + plural(r.maxAgeDays, 'day') + ' old');
  if (r.mirrorMaxAgeDays) parts.push('files at most ' + plural(r.mirrorMaxAgeDays, 'day') + ' old');
  return parts.length ? 'retention: ' + parts.join(', ') : 'kept indefinitely';
}

function renderJobInfo(card: Card, j: Job): void {
  const connection = findConnection(j.connectionId);
  const root = connection ? connection.rootFolder || '/' : '';
  const destination = (root === '/' ? '' : root) + '/' + (j.destinationFolder || '');
  const words = h('span', { className: 'cron-words', attrs: { 'data-field': 'schedule-words' } });
  describeSchedule(j.schedule).then(
    (r) => {
      words.textContent = r.description;
    },
    () => {
      words.textContent = '';
    },
  );
  card.root.setAttribute('aria-label', 'Job ' + j.name);
  const mode =
    j.mode === 'snapshot'
      ? 'snapshot mode'
      : 'mirror mode' + (j.propagateDeletes ? ', deletions propagated' : '');
  card.info.replaceChildren(
    h('div', { className: 'card-head' }, [
      h('strong', { text: j.name }),
      h('span', {
        className: 'chip ' + (j.enabled ? 'chip-authorized' : 'chip-new'),
        text: j.enabled ? 'Enabled' : 'Disabled',
      }),
      j.activeRunId ? h('span', { className: 'chip chip-reauth-required', text: 'Running' }) : null,
    ]),
    h('p', { className: 'meta' }, [
      'From container ',
      h('code', { text: j.source.container + (j.source.prefix ? '/' + j.source.prefix : '') }),
      ' to ',
      h('code', { text: destination }),
      ' on ',
      connection ? connection.name : 'a missing connection',
    ]),
    h('p', { className: 'meta' }, ['Schedule ', h('code', { text: j.schedule }), words]),
    h('p', {
      className: 'meta',
      text: [mode, 'chunk size ' + fmtBytes(j.chunkSizeBytes), retentionText(j)].join(' \u00b7 '),
    }),
  );
  card.actions.replaceChildren(
    button('Run now', (control) => runNow(card, j, control), { 'aria-label': 'Run ' + j.name + ' now' }),
    button('Edit', () => editJob(j), { 'aria-label': 'Edit ' + j.name }),
    button('Restore', () => openRestore(card, j), { 'aria-label': 'Restore ' + j.name }),
    button('Recent runs', (control) => openRuns(card, j, control), {
      'aria-label': 'Recent runs of ' + j.name,
    }),
    button('Delete', (control) => deleteJob(card, j, control), { 'aria-label': 'Delete job ' + j.name }),
  );
}

async function runNow(card: Card, j: Job, control: HTMLButtonElement): Promise<void> {
  const run = await busy(control, card.error, () => api<StartedRun>('POST', 'jobs/' + enc(j.id) + '/run'));
  if (!run) return;
  watchRun(run.id || run.runId || '', 'Backup: ' + j.name);
  refreshJobs();
}

async function openRuns(card: Card, j: Job, control: HTMLButtonElement): Promise<void> {
  const data = await busy(control, card.error, () => api<RunList>('GET', 'jobs/' + enc(j.id) + '/runs'));
  if (!data) return;
  const runs = data.runs || [];
  const list = runs.length
    ? h(
        'ul',
        { className: 'list', attrs: { 'aria-label': 'Recent runs' } },
        runs
          .slice(0, 20)
          .map((r) =>
            h('li', {}, [
              h('span', {}, [
                fmtTime(r.startedAt || r.createdAt) + ' \u00b7 ' + (r.kind || 'backup') + ' \u00b7 ',
                h('span', { className: 'status-' + r.status, text: r.status }),
              ]),
              button('Show', () =>
                watchRun(r.id, (r.kind === 'restore' ? 'Restore: ' : 'Backup: ') + j.name),
              ),
            ]),
          ),
      )
    : h('p', { className: 'meta', text: 'No runs yet.' });
  openPanel(card, 'Recent runs', [list]);
}

interface RestoreBody {
  targetContainer: string;
  overwrite: string;
  prefix?: string;
  snapshot?: string;
}

function labelled(text: string, control: HTMLElement): HTMLDivElement {
  return h('div', {}, [h('label', { text, attrs: { for: control.id } }), control]);
}

function openRestore(card: Card, j: Job): void {
  const container = h('input', {
    attrs: { id: 'restore-container-' + j.id, required: true, value: j.source.container + '-restored' },
  });
  const prefix = h('input', { attrs: { id: 'restore-prefix-' + j.id } });
  const snapshot = h('input', {
    attrs: { id: 'restore-snapshot-' + j.id, placeholder: j.mode === 'snapshot' ? 'latest' : '' },
  });
  const policy = h('select', { attrs: { id: 'restore-policy-' + j.id } }, [
    // The API's policies; stopping on an existing file is its default and the safest choice.
    h('option', { text: 'Stop if a file already exists', attrs: { value: 'fail-if-exists' } }),
    h('option', { text: 'Skip files that already exist', attrs: { value: 'skip-existing' } }),
    h('option', { text: 'Overwrite existing files', attrs: { value: 'overwrite' } }),
  ]);
  const start = async (event: Event): Promise<void> => {
    event.preventDefault();
    const body: RestoreBody = { targetContainer: container.value.trim(), overwrite: policy.value };
    if (prefix.value.trim()) body.prefix = prefix.value.trim();
    if (snapshot.value.trim()) body.snapshot = snapshot.value.trim();
    const run = await busy(form.querySelector<HTMLButtonElement>('button[type=submit]'), card.error, () =>
      api<StartedRun>('POST', 'jobs/' + enc(j.id) + '/restore', body),
    );
    if (run) watchRun(run.id || run.runId || '', 'Restore: ' + j.name + ' into ' + body.targetContainer);
  };
  const snapshotLabel =
    j.mode === 'snapshot' ? 'Snapshot folder (empty: latest)' : 'Point in time (optional, ISO date)';
  const form = h('form', { on: { submit: start } }, [
    h('div', { className: 'grid' }, [
      labelled('Target container', container),
      labelled('Only paths starting with (optional)', prefix),
      labelled(snapshotLabel, snapshot),
      labelled('When a file exists', policy),
    ]),
    h('div', { className: 'actions' }, [
      h('button', { className: 'primary', text: 'Start restore', attrs: { type: 'submit' } }),
    ]),
  ]);
  card.panel.replaceChildren(h('h3', { text: 'Restore into a container', attrs: { tabindex: '-1' } }), form);
  card.panel.hidden = false;
  container.focus();
}

async function deleteJob(card: Card, j: Job, control: HTMLButtonElement): Promise<void> {
  if (!window.confirm('Delete the job "' + j.name + '"? Its backups in OneDrive stay there.')) return;
  const done = await busy(control, card.error, async () => {
    await api('DELETE', 'jobs/' + enc(j.id));
    return true;
  });
  if (done) refreshJobs();
}

/** Moves the focus to the job's first button (after the form saved it). */
export function focusJob(id: string): void {
  jobCards.get(id)?.actions.querySelector('button')?.focus();
}
