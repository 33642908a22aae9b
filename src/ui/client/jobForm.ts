// The job form: create or edit a job, with its schedule described in plain words as it is typed.
import { api, enc } from './api';
import { $, busy, connectionStatusLabel, errorText, h, inputValue } from './core';
import { focusJob, refreshJobs } from './jobs';
import { findConnection, state } from './state';
import type { Job, JobInput, ScheduleDescription } from './types';

const MIB = 1024 * 1024;
const scheduleWords = new Map<string, ScheduleDescription>();

export function fillConnectionSelect(): void {
  const select = $<HTMLSelectElement>('job-connection');
  const chosen = select.value;
  select.replaceChildren(
    ...state.connections.map((c) =>
      h('option', { text: c.name + ' (' + connectionStatusLabel(c.status) + ')', attrs: { value: c.id } }),
    ),
  );
  if (chosen && findConnection(chosen)) select.value = chosen;
}

// The plain-words description of a schedule, from the server (one parser for the app and the page).
export async function describeSchedule(expression: string): Promise<ScheduleDescription> {
  const known = scheduleWords.get(expression);
  if (known) return known;
  const result = await api<ScheduleDescription>('GET', 'ui/schedule?expression=' + enc(expression));
  scheduleWords.set(expression, result);
  return result;
}

function setValue(id: string, value: string | number | undefined): void {
  $<HTMLInputElement | HTMLSelectElement>(id).value = String(value ?? '');
}
function setChecked(id: string, checked: boolean): void {
  $<HTMLInputElement>(id).checked = checked;
}

export function editJob(j: Job): void {
  setValue('job-id', j.id);
  setValue('job-name', j.name);
  setValue('job-connection', j.connectionId);
  setValue('job-container', j.source.container);
  setValue('job-prefix', j.source.prefix || '');
  setValue('job-destination', j.destinationFolder || '');
  setValue('job-schedule', j.schedule);
  setValue('job-mode', j.mode);
  setValue('job-chunk', String(j.chunkSizeBytes / MIB));
  const r = j.retention || {};
  setValue('job-keep-last', r.keepLast || '');
  setValue('job-max-age', (j.mode === 'mirror' ? r.mirrorMaxAgeDays : r.maxAgeDays) || '');
  setChecked('job-propagate', Boolean(j.propagateDeletes));
  setChecked('job-hard-delete', Boolean(j.hardDelete));
  setChecked('job-enabled', j.enabled !== false);
  $('job-editor-title').textContent = 'Edit job ' + j.name;
  $('job-save').textContent = 'Save job';
  $<HTMLDetailsElement>('job-editor').open = true;
  updateScheduleWords();
  $('job-name').focus();
}

function resetJobForm(): void {
  $<HTMLFormElement>('job-form').reset();
  setValue('job-id', '');
  $('job-editor-title').textContent = 'Create a job';
  $('job-save').textContent = 'Create job';
  updateScheduleWords();
}

let scheduleTimer: number | undefined;
function updateScheduleWords(): void {
  const words = $('job-schedule-words');
  const expression = inputValue('job-schedule');
  window.clearTimeout(scheduleTimer);
  // Described after a short pause in typing, not on every key stroke.
  scheduleTimer = window.setTimeout(async () => {
    if (!expression) {
      words.textContent = '';
      return;
    }
    try {
      const r = await describeSchedule(expression);
      if (inputValue('job-schedule') === expression) {
        words.textContent = r.description;
        words.className = 'cron-words';
      }
    } catch (error) {
      if (inputValue('job-schedule') === expression) {
        words.textContent = errorText(error);
        words.className = 'cron-words error';
      }
    }
  }, 250);
}

function jobBody(): JobInput {
  const number = (id: string): number | undefined => {
    const v = inputValue(id);
    return v === '' ? undefined : Number(v);
  };
  // The select offers only the API's modes.
  const mode = inputValue('job-mode') as Job['mode'];
  const chunk = number('job-chunk');
  const retention =
    mode === 'snapshot'
      ? { keepLast: number('job-keep-last'), maxAgeDays: number('job-max-age') }
      : { mirrorMaxAgeDays: number('job-max-age') };
  const body: JobInput = {
    name: inputValue('job-name'),
    connectionId: inputValue('job-connection'),
    source: { container: inputValue('job-container'), prefix: inputValue('job-prefix') },
    destinationFolder: inputValue('job-destination'),
    schedule: inputValue('job-schedule'),
    mode,
    retention,
    propagateDeletes: mode === 'mirror' && $<HTMLInputElement>('job-propagate').checked,
    hardDelete: $<HTMLInputElement>('job-hard-delete').checked,
    enabled: $<HTMLInputElement>('job-enabled').checked,
  };
  if (chunk !== undefined) body.chunkSizeBytes = Math.round(chunk * MIB);
  return body;
}

export function bindJobForm(): void {
  $('job-schedule').addEventListener('input', updateScheduleWords);
  $('job-cancel').addEventListener('click', () => {
    resetJobForm();
    $<HTMLDetailsElement>('job-editor').open = false;
  });
  $('job-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const id = $<HTMLInputElement>('job-id').value;
    const body = jobBody();
    const saved = await busy($<HTMLButtonElement>('job-save'), $('job-form-error'), () =>
      id ? api<Job>('PATCH', 'jobs/' + enc(id), body) : api<Job>('POST', 'jobs', body),
    );
    if (!saved) return;
    resetJobForm();
    $<HTMLDetailsElement>('job-editor').open = false;
    await refreshJobs();
    focusJob(saved.id);
  });
  updateScheduleWords();
}
