// The jobs list: each job's card with its health (last result, next run, recent runs), Run now,
// the run history, the restore form and Delete, and the slot where its run is followed.
import { api, enc, isKeyRefusal } from './api';
import { CardList, createCard, type Card } from './cards';
import { $, busy, button, clearError, fmtBytes, h, isFinished, plural, showError } from './core';
import { renderHealth, STRIP_LENGTH } from './health';
import { openHistory } from './history';
import { describeSchedule, editJob } from './jobForm';
import { watchedRun, watchRun } from './runs';
import { findConnection, state } from './state';
import type { Job, JobList, RunList, RunView, StartedRun } from './types';

interface JobCard extends Card {
  health: HTMLDivElement;
  slot: HTMLDivElement;
}

function createJobCard(id: string): JobCard {
  const health = h('div', { className: 'health-box', attrs: { 'data-field': 'health' } });
  const slot = h('div', { className: 'run-slot' });
  const card = createCard({ 'data-job-id': id }, [slot]);
  card.root.insertBefore(health, card.actions);
  return { ...card, health, slot };
}

// A job's card shows its connection's name and folder too.
const jobCards = new CardList<Job, JobCard>(createJobCard, renderJobInfo, (j) => {
  const c = findConnection(j.connectionId);
  return JSON.stringify([j, c && c.name, c && c.rootFolder]);
});

/** Each job's recent runs, newest first, as the last refresh found them. */
const recentRuns = new Map<string, RunView[]>();
// Why a failed run failed, when the run itself says nothing: its first failed file's reason.
const failureReasons = new Map<string, string>();
// Runs seen finished: the page never starts following them again on its own.
const finishedRuns = new Set<string>();

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
  await Promise.all(state.jobs.map(refreshHealth));
  followActiveRun();
}

export function renderJobs(): void {
  const section = $('run-section');
  jobCards.show($('job-list'), state.jobs, 'No backup jobs yet: create one below.');
  // The run view lives in its job's card; a deleted job must not take it off the page.
  if (!section.isConnected) {
    section.hidden = true;
    $('jobs-section').append(section);
  }
}

/** The place in a job's card where its run is shown. */
export function runSlot(jobId: string): HTMLElement | undefined {
  return jobCards.get(jobId)?.slot;
}

// A name that would fill the card is cut in the middle: its folder and its end tell which file it is.
function shortName(name: string): string {
  return name.length > 80 ? name.slice(0, 30) + '\u2026' + name.slice(-40) : name;
}

async function failureReason(run: RunView): Promise<string | undefined> {
  if (run.status === 'succeeded' || run.error) return undefined;
  if (failureReasons.has(run.id)) return failureReasons.get(run.id);
  const full = await api<RunView>('GET', 'runs/' + enc(run.id)).catch(() => undefined);
  const first = full?.failures?.[0];
  if (!full) return undefined;
  const reason = first
    ? shortName(first.file || first.blobName || 'a file') +
      ': ' +
      (first.reason || first.code || 'failed') +
      ((full.failures?.length || 0) > 1 ? ' (and ' + ((full.failures?.length || 0) - 1) + ' more)' : '')
    : '';
  failureReasons.set(run.id, reason);
  return reason || undefined;
}

async function refreshHealth(job: Job): Promise<void> {
  const card = jobCards.get(job.id);
  if (!card) return;
  let runs: RunView[];
  try {
    const data = await api<RunList>('GET', 'jobs/' + enc(job.id) + '/runs');
    runs = (data.runs || []) as RunView[];
  } catch (error) {
    if (!isKeyRefusal(error)) showError(card.error, error);
    return;
  }
  recentRuns.set(job.id, runs);
  runs.filter(isFinished).forEach((r) => finishedRuns.add(r.id));
  const lastFinished = runs.find((r) => r.kind !== 'restore' && isFinished(r));
  const [schedule, reason] = await Promise.all([
    job.enabled ? describeSchedule(job.schedule).catch(() => undefined) : undefined,
    lastFinished ? failureReason(lastFinished) : undefined,
  ]);
  renderHealth(card.health, job, runs.slice(0, STRIP_LENGTH), schedule, reason);
}

// A run started elsewhere (the scheduler, the CLI, another tab) is followed in its job's card,
// unless the person is already following one.
function followActiveRun(): void {
  if (watchedRun()) return;
  const job = state.jobs.find((j) => j.activeRunId && !finishedRuns.has(j.activeRunId));
  if (job && job.activeRunId && $('run-section').getAttribute('data-run-id') !== job.activeRunId)
    watchRun(job.activeRunId, 'Running: ' + job.name, job.id, false);
}

function retentionText(j: Job): string {
  const r = j.retention || {};
  const parts: string[] = [];
  if (r.keepLast) parts.push('keep last ' + r.keepLast);
  if (r.maxAgeDays) parts.push('at most ' + plural(r.maxAgeDays, 'day') + ' old');
  if (r.mirrorMaxAgeDays) parts.push('files at most ' + plural(r.mirrorMaxAgeDays, 'day') + ' old');
  return parts.length ? 'retention: ' + parts.join(', ') : 'kept indefinitely';
}

function renderJobInfo(card: JobCard, j: Job): void {
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
  const encrypted = j.encryption && j.encryption.mode === 'rclone-crypt';
  card.actions.replaceChildren(
    button('Run now', (control) => runNow(card, j, control), { 'aria-label': 'Run ' + j.name + ' now' }),
    button('Edit', () => editJob(j), { 'aria-label': 'Edit ' + j.name }),
    button('Restore', () => openRestore(card, j), { 'aria-label': 'Restore ' + j.name }),
    button('History', (control) => openHistory(card, j, control), {
      'aria-label': 'Run history of ' + j.name,
    }),
    ...(encrypted
      ? [
          button('Show encryption keys', (control) => showKeys(card, j, control), {
            'aria-label': 'Show the encryption keys of ' + j.name,
          }),
        ]
      : []),
    button('Delete', (control) => deleteJob(card, j, control), { 'aria-label': 'Delete job ' + j.name }),
  );
}

interface EncryptionKeys {
  password: string;
  password2: string;
  rcloneConfig: string;
  snapshotNote?: string;
  warning: string;
}

/** Asked for on purpose, shown in the card until hidden, never stored by the page. */
async function showKeys(card: JobCard, j: Job, control: HTMLButtonElement): Promise<void> {
  const ok = window.confirm(
    'Show the encryption passwords of "' +
      j.name +
      '"? Anyone who sees them and the OneDrive folder can read every file. Keep them outside Azure: without them the backup is lost.',
  );
  if (!ok) return;
  const keys = await busy(control, card.error, () =>
    api<EncryptionKeys>('POST', 'jobs/' + enc(j.id) + '/encryption/keys'),
  );
  if (!keys) return;
  const hide = (): void => {
    card.panel.replaceChildren();
    card.panel.hidden = true;
  };
  card.panel.replaceChildren(
    h('h3', { text: 'Encryption keys', attrs: { tabindex: '-1' } }),
    h('p', { className: 'warning', text: keys.warning, attrs: { role: 'note' } }),
    h('p', {}, ['password: ', h('code', { text: keys.password, attrs: { id: 'keys-password-' + j.id } })]),
    h('p', {}, ['password2: ', h('code', { text: keys.password2, attrs: { id: 'keys-password2-' + j.id } })]),
    h('p', { text: 'rclone config (after your OneDrive remote named "onedrive"):' }),
    h('pre', { className: 'mono', text: keys.rcloneConfig, attrs: { id: 'keys-config-' + j.id } }),
    ...(keys.snapshotNote ? [h('p', { className: 'hint', text: keys.snapshotNote })] : []),
    h('div', { className: 'actions' }, [button('Hide keys', hide)]),
  );
  card.panel.hidden = false;
}

async function runNow(card: JobCard, j: Job, control: HTMLButtonElement): Promise<void> {
  const run = await busy(control, card.error, () => api<StartedRun>('POST', 'jobs/' + enc(j.id) + '/run'));
  if (!run) return;
  watchRun(run.id || run.runId || '', 'Backup: ' + j.name, j.id);
  refreshJobs();
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

function openRestore(card: JobCard, j: Job): void {
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
    if (run)
      watchRun(run.id || run.runId || '', 'Restore: ' + j.name + ' into ' + body.targetContainer, j.id);
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

async function deleteJob(card: JobCard, j: Job, control: HTMLButtonElement): Promise<void> {
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
