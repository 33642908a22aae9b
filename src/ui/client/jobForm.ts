// The job form: create or edit a job. Only the fields of the chosen mode show; the schedule is
// picked from presets or typed as cron, and described in plain words as it changes; the source
// container is picked from the account's containers; an error shows beside its field.
import { api, enc } from './api';
import { $, clearError, connectionStatusLabel, errorText, h, inputValue } from './core';
import { clearFieldErrors, submitForm, type FieldMap } from './fieldErrors';
import { focusJob, refreshJobs } from './jobs';
import { presetExpression, presetOf, type PresetKind } from './schedulePresets';
import { findConnection, state } from './state';
import type { ContainerList, Job, JobInput, ScheduleDescription } from './types';

const scheduleWords = new Map<string, ScheduleDescription>();

const FIELDS: FieldMap = {
  name: { id: 'job-name', label: 'Name' },
  connectionId: { id: 'job-connection', label: 'Connection' },
  source: { id: 'job-container', label: 'Source container' },
  'source.container': { id: 'job-container', label: 'Source container' },
  'source.prefix': { id: 'job-prefix', label: 'Source prefix' },
  destinationFolder: { id: 'job-destination', label: 'Destination folder' },
  mode: { id: 'job-mode', label: 'Mode' },
  trigger: { id: 'job-trigger', label: 'Backs up' },
  schedule: { id: 'job-schedule', label: 'Cron expression' },
  'retention.keepLast': { id: 'job-keep-last', label: 'Keep last N snapshots' },
  'retention.maxAgeDays': { id: 'job-max-age', label: 'Delete snapshots older than (days)' },
  'retention.mirrorMaxAgeDays': { id: 'job-max-age', label: 'Delete backed-up files older than (days)' },
  propagateDeletes: { id: 'job-propagate', label: 'Propagate deletions' },
  hardDelete: { id: 'job-hard-delete', label: 'Delete permanently' },
  chunkSizeBytes: { id: 'job-chunk', label: 'Upload chunk size' },
  encryption: { id: 'job-encryption', label: 'Encrypt before upload' },
  'encryption.mode': { id: 'job-encryption', label: 'Encrypt before upload' },
  'encryption.filenameEncryption': { id: 'job-filename-encryption', label: 'File names' },
};

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

/**
 * The plain-words description of a schedule and its next times, from the server (one parser for
 * the app and the page); asked again once its next time has passed.
 */
export async function describeSchedule(expression: string): Promise<ScheduleDescription> {
  const known = scheduleWords.get(expression);
  if (known && Date.parse(known.next[0] || '') > Date.now()) return known;
  const result = await api<ScheduleDescription>('GET', 'ui/schedule?expression=' + enc(expression));
  scheduleWords.set(expression, result);
  return result;
}

// ---- the source container: a list of the account's containers, or a text field without one ----

let containerList: Promise<string[] | undefined> | undefined;

function containerControl(): HTMLInputElement | HTMLSelectElement {
  return $<HTMLInputElement | HTMLSelectElement>('job-container');
}

/** Offers the account's containers; keeps `wanted` (an edited job's) even when it is not listed. */
async function fillContainers(wanted?: string): Promise<void> {
  containerList ??= api<ContainerList>('GET', 'source/containers').then(
    (data) => data.containers || [],
    () => undefined,
  );
  const names = await containerList;
  const current = containerControl();
  const value = wanted ?? current.value;
  if (!names || names.length === 0) {
    // No list to pick from (a job reading another account, or none yet): the name is typed.
    if (current instanceof HTMLSelectElement) {
      const input = h('input', { attrs: { id: 'job-container', required: true } });
      current.replaceWith(input);
      input.value = value;
    } else current.value = value;
    return;
  }
  if (!(current instanceof HTMLSelectElement)) return;
  const all = value && !names.includes(value) ? [value, ...names] : names;
  current.replaceChildren(...all.map((name) => h('option', { text: name, attrs: { value: name } })));
  if (value) current.value = value;
}

// ---- fields of the chosen mode and schedule preset only ----

function showModeFields(): void {
  const mode = inputValue('job-mode');
  document.querySelectorAll<HTMLElement>('#job-form [data-mode]').forEach((node) => {
    node.hidden = node.getAttribute('data-mode') !== mode;
  });
}

/** The encryption details show for rclone crypt only; an existing job's choice is fixed. */
function showEncryptionFields(editing = Boolean($<HTMLInputElement>('job-id').value)): void {
  const mode = inputValue('job-encryption');
  document.querySelectorAll<HTMLElement>('#job-form [data-encryption]').forEach((node) => {
    node.hidden = node.getAttribute('data-encryption') !== mode;
  });
  for (const id of ['job-encryption', 'job-filename-encryption', 'job-directory-encryption'])
    $<HTMLInputElement | HTMLSelectElement>(id).disabled = editing;
}

function showPresetFields(): void {
  const kind = inputValue('job-schedule-preset');
  document.querySelectorAll<HTMLElement>('#job-form [data-preset]').forEach((node) => {
    node.hidden = !(node.getAttribute('data-preset') || '').split(' ').includes(kind);
  });
}

function applyPreset(): void {
  const kind = inputValue('job-schedule-preset') as PresetKind;
  const time =
    kind === 'hourly'
      ? '00:' + inputValue('job-schedule-minute').padStart(2, '0')
      : inputValue('job-schedule-time');
  const expression = presetExpression({ kind, time, day: Number(inputValue('job-schedule-day')) });
  showPresetFields();
  if (expression) {
    $<HTMLInputElement>('job-schedule').value = expression;
    updateScheduleWords();
  }
}

function syncPreset(): void {
  const p = presetOf(inputValue('job-schedule'));
  setValue('job-schedule-preset', p.kind);
  if (p.kind !== 'custom') {
    setValue('job-schedule-time', p.time);
    setValue('job-schedule-minute', String(Number(p.time.split(':')[1])));
    setValue('job-schedule-day', String(p.day));
  }
  showPresetFields();
}

function setValue(id: string, value: string | number | undefined): void {
  $<HTMLInputElement | HTMLSelectElement>(id).value = String(value ?? '');
}
function setChecked(id: string, checked: boolean): void {
  $<HTMLInputElement>(id).checked = checked;
}

// The chunk size is sent only when the person chose one: otherwise the server's default applies.
let chunkTouched = false;

function setChunk(bytes: number | undefined): void {
  const select = $<HTMLSelectElement>('job-chunk');
  const value = bytes ? String(bytes) : '';
  if (value && !Array.from(select.options).some((o) => o.value === value))
    select.append(
      h('option', {
        text: (bytes! / 1024 / 1024).toFixed(4).replace(/\.?0+$/, '') + ' MiB',
        attrs: { value },
      }),
    );
  select.value = value;
  chunkTouched = false;
}

export function editJob(j: Job): void {
  clearFieldErrors(FIELDS);
  clearError($('job-form-error'));
  setValue('job-id', j.id);
  setValue('job-name', j.name);
  setValue('job-connection', j.connectionId);
  setValue('job-prefix', j.source.prefix || '');
  setValue('job-destination', j.destinationFolder || '');
  setValue('job-schedule', j.schedule);
  setValue('job-mode', j.mode);
  setValue('job-trigger', j.trigger || 'schedule');
  setChunk(j.chunkSizeBytes);
  const r = j.retention || {};
  setValue('job-keep-last', r.keepLast || '');
  setValue('job-max-age', (j.mode === 'mirror' ? r.mirrorMaxAgeDays : r.maxAgeDays) || '');
  setChecked('job-propagate', Boolean(j.propagateDeletes));
  setChecked('job-hard-delete', Boolean(j.hardDelete));
  setChecked('job-enabled', j.enabled !== false);
  const e = j.encryption;
  setValue('job-encryption', e?.mode ?? 'off');
  if (e && e.mode === 'rclone-crypt') {
    setValue('job-filename-encryption', e.filenameEncryption);
    setChecked('job-directory-encryption', e.directoryNameEncryption);
  }
  showEncryptionFields(true);
  $('job-editor-title').textContent = 'Edit job ' + j.name;
  $('job-save').textContent = 'Save job';
  $<HTMLDetailsElement>('job-editor').open = true;
  fillContainers(j.source.container);
  showModeFields();
  syncPreset();
  updateScheduleWords();
  $('job-name').focus();
}

function resetJobForm(): void {
  $<HTMLFormElement>('job-form').reset();
  setValue('job-id', '');
  clearFieldErrors(FIELDS);
  setChunk(undefined);
  showEncryptionFields(false);
  $('job-editor-title').textContent = 'Create a job';
  $('job-save').textContent = 'Create job';
  showModeFields();
  showEncryptionFields(false);
  syncPreset();
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

function jobBody(editing: boolean): JobInput {
  const number = (id: string): number | undefined => {
    const v = inputValue(id);
    return v === '' ? undefined : Number(v);
  };
  // The select offers only the API's modes.
  const mode = inputValue('job-mode') as Job['mode'];
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
    hardDelete: mode === 'mirror' && $<HTMLInputElement>('job-hard-delete').checked,
    enabled: $<HTMLInputElement>('job-enabled').checked,
  };
  // Events need a mirror: a snapshot job runs on its schedule. Left at the server default, a new
  // mirror job takes events when the deployment delivers them, and an edited one keeps its own.
  const trigger = inputValue('job-trigger');
  if (mode === 'snapshot') body.trigger = 'schedule';
  else if (trigger) body.trigger = trigger as Job['trigger'];
  const chunk = inputValue('job-chunk');
  // Untouched, a new job gets the server's default (UPLOAD_CHUNK_BYTES) and an edited one keeps its own.
  if (chunk && (chunkTouched || !editing)) body.chunkSizeBytes = Number(chunk);
  // Chosen once, at creation (the server refuses a change).
  if (!editing && inputValue('job-encryption') === 'rclone-crypt')
    body.encryption = {
      mode: 'rclone-crypt',
      filenameEncryption: inputValue('job-filename-encryption') as 'standard' | 'obfuscate' | 'off',
      directoryNameEncryption: $<HTMLInputElement>('job-directory-encryption').checked,
      filenameEncoding: 'base32',
    };
  return body;
}

export function bindJobForm(): void {
  $('job-schedule').addEventListener('input', () => {
    syncPreset();
    updateScheduleWords();
  });
  ['job-schedule-preset', 'job-schedule-time', 'job-schedule-day', 'job-schedule-minute'].forEach((id) =>
    $(id).addEventListener('change', applyPreset),
  );
  $('job-mode').addEventListener('change', showModeFields);
  $('job-encryption').addEventListener('change', () => showEncryptionFields());
  $('job-chunk').addEventListener('change', () => (chunkTouched = true));
  $('job-editor').addEventListener('toggle', () => {
    if ($<HTMLDetailsElement>('job-editor').open) fillContainers();
  });
  $('job-cancel').addEventListener('click', () => {
    resetJobForm();
    $<HTMLDetailsElement>('job-editor').open = false;
  });
  $('job-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const id = $<HTMLInputElement>('job-id').value;
    const body = jobBody(Boolean(id));
    const saved = await submitForm($<HTMLButtonElement>('job-save'), FIELDS, $('job-form-error'), () =>
      id ? api<Job>('PATCH', 'jobs/' + enc(id), body) : api<Job>('POST', 'jobs', body),
    );
    if (!saved) return;
    resetJobForm();
    $<HTMLDetailsElement>('job-editor').open = false;
    await refreshJobs();
    focusJob(saved.id);
  });
  showModeFields();
  showEncryptionFields(false);
  syncPreset();
  updateScheduleWords();
}
