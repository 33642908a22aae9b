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
  externalLink,
  fmtTime,
  h,
  inputValue,
  showError,
  type Child,
} from './core';
import { fillConnectionSelect } from './jobForm';
import { renderJobs } from './jobs';
import { loadStatus } from './session';
import { findConnection, state } from './state';
import type { ConnectionInput, ConnectionList, ConnectionTestReport, ConnectionView } from './types';

export interface ConnectionCard extends Card {
  notice: HTMLParagraphElement;
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
  return { ...createCard({ 'data-connection-id': id }, [notice]), notice };
}

function driveTypeText(c: ConnectionView): string {
  if (c.driveType === 'sharepoint') return 'SharePoint library';
  return c.driveType === 'business' ? 'OneDrive for work or school' : 'Personal OneDrive';
}

function renderConnectionInfo(card: ConnectionCard, c: ConnectionView): void {
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
      c.driveId ? ' on drive ' + c.driveId : '',
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
  actions.push(button('Choose drive', () => openDrivePicker(card, findConnection(c.id) || c)));
  actions.push(button('Browse folders', () => openFolderBrowser(card, findConnection(c.id) || c)));
  actions.push(button('Test connection', (control) => testConnection(card, c, control)));
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
  card.notice.textContent = 'Sign in in the new tab. This page updates when the sign-in is done.';
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
      card.notice.textContent =
        changed && current ? 'Sign-in finished: ' + connectionStatusLabel(current.status) + '.' : '';
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

export function bindConnectionForm(): void {
  const form = $<HTMLFormElement>('connection-form');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = connectionFormBody();
    const submit = form.querySelector<HTMLButtonElement>('button[type=submit]');
    const created = await busy(submit, $('connection-form-error'), () =>
      api<ConnectionView>('POST', 'connections', body),
    );
    if (!created) return;
    form.reset();
    $<HTMLInputElement>('conn-client-secret').value = '';
    $<HTMLDetailsElement>('add-connection').open = false;
    await refreshConnections();
    const card = connectionCards.get(created.id);
    if (card) {
      card.notice.textContent = 'Added. Next: Authorize, to sign in to the OneDrive account.';
      const first = card.actions.querySelector('button');
      if (first) first.focus();
    }
  });
}
