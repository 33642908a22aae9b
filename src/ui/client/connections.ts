// The connections list with status chips, the add form, Authorize, Test and Delete.
import { API_BASE, api, enc, getKey, isKeyRefusal } from './api';
import { openDrivePicker, openFolderBrowser } from './browse';
import { CardList, createCard, openPanel, type Card } from './cards';
import {
  $,
  busy,
  button,
  clearError,
  connectionStatusLabel,
  errorText,
  externalLink,
  fmtBytes,
  fmtTime,
  h,
  inputValue,
  showError,
  type Child,
} from './core';
import { submitForm, type FieldMap } from './fieldErrors';
import { fillConnectionSelect } from './jobForm';
import { renderJobs } from './jobs';
import { loadStatus } from './session';
import { findConnection, state } from './state';
import type {
  ConnectionInput,
  ConnectionList,
  ConnectionTestReport,
  ConnectionView,
  DriveInfo,
} from './types';

export interface ConnectionCard extends Card {
  notice: HTMLParagraphElement;
  drive: HTMLParagraphElement;
  /** The status the card was last drawn with. */
  status?: ConnectionView['status'];
}

const NOTICE_MS = 10_000;
const noticeTimers = new WeakMap<ConnectionCard, number>();

/** A notice that goes away by itself: it describes a moment, not a state. */
export function setNotice(card: ConnectionCard, text: string): void {
  window.clearTimeout(noticeTimers.get(card));
  card.notice.textContent = text;
  if (text)
    noticeTimers.set(
      card,
      window.setTimeout(() => (card.notice.textContent = ''), NOTICE_MS),
    );
}

const connectionCards = new CardList<ConnectionView, ConnectionCard>(
  createConnectionCard,
  renderConnectionInfo,
);
const authWatch = new Map<string, number>();

export async function refreshConnections(): Promise<void> {
  try {
    const data = await api<ConnectionList | null>('GET', 'connections');
    state.connections = (data && data.connections) || [];
    clearError($('connections-error'));
  } catch (error) {
    if (!isKeyRefusal(error)) showError($('connections-error'), error);
    return;
  }
  renderConnections();
  fillConnectionSelect();
  renderJobs();
  state.connections.forEach((c) => {
    const card = connectionCards.get(c.id);
    if (card) showDrive(card, c);
  });
}

function renderConnections(): void {
  connectionCards.show(
    $('connection-list'),
    state.connections,
    'No connections yet: add one below, then authorize it.',
  );
}

function createConnectionCard(id: string): ConnectionCard {
  const notice = h('p', { className: 'notice', attrs: { 'aria-live': 'polite' } });
  const drive = h('p', { className: 'meta', attrs: { 'data-field': 'drive' } });
  const card = createCard({ 'data-connection-id': id }, [notice]);
  card.root.insertBefore(drive, card.actions);
  return { ...card, notice, drive };
}

// The drive's owner and free space, read from Graph at most every few minutes per connection.
const DRIVE_MS = 5 * 60_000;
const driveSeen = new Map<string, { at: number; driveId?: string; info?: DriveInfo }>();

function driveText(info: DriveInfo): string {
  const parts = [(info.name || 'Drive') + (info.ownerName ? ' of ' + info.ownerName : '')];
  const q = info.quota;
  if (q && q.remaining !== undefined) {
    let free = fmtBytes(q.remaining) + ' free';
    if (q.total) free += ' of ' + fmtBytes(q.total);
    if (q.state && q.state !== 'normal') free += ' (' + q.state + ')';
    parts.push(free);
  }
  return parts.join(' \u00b7 ');
}

async function showDrive(card: ConnectionCard, c: ConnectionView): Promise<void> {
  if (c.status !== 'authorized') {
    card.drive.textContent = '';
    return;
  }
  const seen = driveSeen.get(c.id);
  if (seen && seen.driveId === c.driveId && Date.now() - seen.at < DRIVE_MS) {
    if (seen.info) card.drive.textContent = driveText(seen.info);
    return;
  }
  driveSeen.set(c.id, { at: Date.now(), driveId: c.driveId, info: seen?.info });
  try {
    const info = await api<DriveInfo>('GET', 'connections/' + enc(c.id) + '/drive');
    driveSeen.set(c.id, { at: Date.now(), driveId: c.driveId, info });
    card.drive.textContent = driveText(info);
  } catch (error) {
    if (!isKeyRefusal(error)) card.drive.textContent = 'Drive details unavailable: ' + errorText(error);
  }
}

function driveTypeText(c: ConnectionView): string {
  if (c.driveType === 'sharepoint') return 'SharePoint library';
  return c.driveType === 'business' ? 'OneDrive for work or school' : 'Personal OneDrive';
}

function renderConnectionInfo(card: ConnectionCard, c: ConnectionView): void {
  // Signed in again: a failed test or anything opened before describes a state that is gone.
  if (card.status && card.status !== c.status && c.status === 'authorized') {
    card.panel.hidden = true;
    card.panel.replaceChildren();
  }
  card.status = c.status;
  const label = connectionStatusLabel(c.status);
  card.root.setAttribute('aria-label', 'Connection ' + c.name + ': ' + label);
  const head = h('div', { className: 'card-head' }, [
    h('strong', { text: c.name }),
    h('span', { className: 'chip chip-' + c.status, text: label, attrs: { 'data-status': c.status } }),
  ]);
  const details = [
    driveTypeText(c),
    'cloud ' + c.cloud,
    'tenant ' + c.tenant,
    c.ownApp ? 'own app ' + c.clientId : null,
    c.authMode === 'app-only' ? 'app-only' : null,
  ];
  const rows: Node[] = [head, h('p', { className: 'meta', text: details.filter(Boolean).join(' \u00b7 ') })];
  if (c.accountName || c.accountUpn) {
    const account = [c.accountName, c.accountUpn ? '(' + c.accountUpn + ')' : ''].filter(Boolean).join(' ');
    rows.push(h('p', { className: 'meta', text: 'Signed in as ' + account }));
  }
  rows.push(
    h('p', { className: 'meta' }, [
      'Backups go to ',
      h('code', { text: c.rootFolder || '/', attrs: { 'data-field': 'root-folder' } }),
      c.authorizedAt ? ' \u00b7 authorized ' + fmtTime(c.authorizedAt) : '',
    ]),
  );
  if ((c.status === 'reauth-required' || c.status === 'error') && (c.statusReason || c.advice)) {
    rows.push(
      h('p', { className: 'reason', attrs: { 'data-field': 'status-reason' } }, [
        c.statusReason || '',
        c.advice ? ' ' + c.advice : '',
        c.statusCode ? ' (' + c.statusCode + ')' : '',
      ]),
    );
  }
  card.info.replaceChildren(...rows);

  const actions: HTMLButtonElement[] = [];
  if (c.authMode !== 'app-only') {
    const again = c.status === 'authorized' || c.status === 'reauth-required' || c.status === 'error';
    actions.push(
      button(again ? 'Re-authorize' : 'Authorize', () => authorize(card, c), {
        'aria-label': (again ? 'Re-authorize ' : 'Authorize ') + c.name,
      }),
    );
  }
  // These need a signed-in connection; before that they could only fail.
  const ready = c.status === 'authorized' || c.authMode === 'app-only';
  const needs = ready ? {} : { disabled: true, title: 'Authorize the connection first' };
  // A personal OneDrive has one drive: there is nothing to choose.
  if (c.driveType !== 'personal')
    actions.push(button('Choose drive', () => openDrivePicker(card, findConnection(c.id) || c), needs));
  actions.push(button('Browse folders', () => openFolderBrowser(card, findConnection(c.id) || c), needs));
  actions.push(button('Test connection', (control) => testConnection(card, c, control), needs));
  actions.push(
    button('Delete', (control) => deleteConnection(card, c, control), {
      'aria-label': 'Delete connection ' + c.name,
    }),
  );
  card.actions.replaceChildren(...actions);
}

// The sign-in runs in a new tab (a navigation cannot send the key header, so it goes as ?code=);
// this page watches the connection until its sign-in time changes.
function authorize(card: ConnectionCard, c: ConnectionView): void {
  clearError(card.error);
  const url = API_BASE + 'connections/' + enc(c.id) + '/authorize?code=' + enc(getKey());
  window.open(url, '_blank', 'noopener,noreferrer');
  setNotice(card, 'Sign in in the new tab. This page updates when the sign-in is done.');
  watchAuthorization(card, c);
}

function watchAuthorization(card: ConnectionCard, before: ConnectionView): void {
  window.clearInterval(authWatch.get(before.id));
  const deadline = Date.now() + 10 * 60 * 1000;
  const timer = window.setInterval(async () => {
    let current: ConnectionView | null;
    try {
      current = await api<ConnectionView>('GET', 'connections/' + enc(before.id));
    } catch {
      current = null;
    }
    const changed =
      current !== null && (current.authorizedAt !== before.authorizedAt || current.status !== before.status);
    if (changed || Date.now() > deadline || !getKey()) {
      window.clearInterval(timer);
      authWatch.delete(before.id);
      setNotice(
        card,
        changed && current ? 'Sign-in finished: ' + connectionStatusLabel(current.status) + '.' : '',
      );
      if (changed) refreshConnections().then(loadStatus);
    }
  }, 1500);
  authWatch.set(before.id, timer);
}

const TEST_STEP_LABELS: Record<string, string> = {
  token: 'Sign-in (token refresh)',
  drive: 'Drive reachable',
  folder: 'Backup folder',
  probe: 'Test file written and deleted',
};

function testSteps(report: ConnectionTestReport): HTMLUListElement {
  return h(
    'ul',
    { className: 'steps', attrs: { 'aria-label': 'Test steps' } },
    (report.steps || []).map((s) => {
      const result = s.skipped ? 'skipped' : s.ok ? 'ok' : 'failed';
      return h('li', { className: 'step-' + result, attrs: { 'data-step': s.step, 'data-result': result } }, [
        h('strong', { text: (TEST_STEP_LABELS[s.step] || s.step) + ': ' }),
        s.skipped ? 'skipped after an earlier failure' : s.detail || (s.ok ? 'ok' : 'failed'),
        s.code ? ' (' + s.code + ')' : '',
        s.advice ? ' ' + s.advice : '',
      ]);
    }),
  );
}

async function testConnection(
  card: ConnectionCard,
  c: ConnectionView,
  control: HTMLButtonElement,
): Promise<void> {
  openPanel(card, 'Test connection', [
    h('p', { className: 'meta', text: 'Testing: sign-in, drive, folder, test write\u2026' }),
  ]);
  const report = await busy(control, card.error, () =>
    api<ConnectionTestReport>('POST', 'connections/' + enc(c.id) + '/test'),
  );
  if (!report) {
    card.panel.hidden = true;
    return;
  }
  const summary = h('p', {
    className: report.ok ? 'notice' : 'error',
    text: report.ok
      ? 'All steps passed: backups can be written here.'
      : 'The test failed; see the failed step.',
  });
  const link = externalLink(report.folder && report.folder.webUrl, 'Open the backup folder in OneDrive');
  const nodes: Child[] = [summary, testSteps(report), link ? h('p', {}, [link]) : null];
  openPanel(
    card,
    'Test connection',
    nodes.filter((node): node is Node => Boolean(node)),
  );
  // A failed sign-in step may have marked the connection for re-authorization: show it now.
  refreshConnections().then(loadStatus);
}

async function deleteConnection(
  card: ConnectionCard,
  c: ConnectionView,
  control: HTMLButtonElement,
): Promise<void> {
  const question =
    'Delete the connection "' + c.name + '" and its stored sign-in? Backups already in OneDrive stay there.';
  if (!window.confirm(question)) return;
  const done = await busy(control, card.error, async () => {
    await api('DELETE', 'connections/' + enc(c.id));
    return true;
  });
  if (done) refreshConnections();
}

function connectionFormBody(): ConnectionInput {
  const body: ConnectionInput = {
    name: inputValue('conn-name'),
    // The selects offer only the API's values.
    cloud: inputValue('conn-cloud') as ConnectionInput['cloud'],
    tenant: inputValue('conn-tenant') || 'common',
    driveType: inputValue('conn-drive-type') as ConnectionInput['driveType'],
    rootFolder: inputValue('conn-root') || '/',
  };
  if (inputValue('conn-client-id')) body.clientId = inputValue('conn-client-id');
  const secret = $<HTMLInputElement>('conn-client-secret').value;
  if (secret) body.clientSecret = secret;
  return body;
}

const CONNECTION_FIELDS: FieldMap = {
  name: { id: 'conn-name', label: 'Name' },
  cloud: { id: 'conn-cloud', label: 'Cloud' },
  tenant: { id: 'conn-tenant', label: 'Tenant' },
  driveType: { id: 'conn-drive-type', label: 'Drive type' },
  rootFolder: { id: 'conn-root', label: 'Backup folder' },
  clientId: { id: 'conn-client-id', label: 'Own app client ID' },
  clientSecret: { id: 'conn-client-secret', label: 'Own app client secret' },
};

export function bindConnectionForm(): void {
  const form = $<HTMLFormElement>('connection-form');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = connectionFormBody();
    const submit = form.querySelector<HTMLButtonElement>('button[type=submit]');
    const created = await submitForm(submit, CONNECTION_FIELDS, $('connection-form-error'), () =>
      api<ConnectionView>('POST', 'connections', body),
    );
    if (!created) return;
    form.reset();
    $<HTMLInputElement>('conn-client-secret').value = '';
    $<HTMLDetailsElement>('add-connection').open = false;
    await refreshConnections();
    const card = connectionCards.get(created.id);
    if (card) {
      setNotice(card, 'Added. Next: Authorize, to sign in to the OneDrive account.');
      const first = card.actions.querySelector('button');
      if (first) first.focus();
    }
  });
}
