// Client script: the connections list with status chips, the add form, Authorize, Test and Delete.
export const CONNECTIONS = String.raw`
var CHIPS = {
  authorized: 'Authorized',
  'reauth-required': 'Needs re-authorization',
  error: 'Error',
  'new': 'New',
};
// Cards are kept per connection id, so a refresh updates their text without closing an open panel.
var connectionCards = {};
var authWatch = {};

async function refreshConnections() {
  try {
    var data = await api('GET', 'connections');
    state.connections = (data && data.connections) || [];
    clearError($('connections-error'));
  } catch (error) {
    if (error.status !== 401) showError($('connections-error'), error);
    return;
  }
  renderConnections();
  fillConnectionSelect();
  renderJobs();
}

function findConnection(id) {
  return state.connections.filter(function (c) { return c.id === id; })[0];
}

function renderConnections() {
  var list = $('connection-list');
  var seen = {};
  if (state.connections.length === 0) {
    list.replaceChildren(h('li', { className: 'meta', text: 'No connections yet: add one below, then authorize it.' }));
    connectionCards = {};
    return;
  }
  var nodes = state.connections.map(function (c) {
    seen[c.id] = true;
    var card = connectionCards[c.id] || (connectionCards[c.id] = createConnectionCard(c.id));
    renderConnectionInfo(card, c);
    return card.root;
  });
  Object.keys(connectionCards).forEach(function (id) { if (!seen[id]) delete connectionCards[id]; });
  list.replaceChildren.apply(list, nodes);
}

function createConnectionCard(id) {
  var card = {
    id: id,
    info: h('div'),
    actions: h('div', { className: 'actions' }),
    notice: h('p', { className: 'notice', attrs: { 'aria-live': 'polite' } }),
    error: errorLine(),
    panel: h('div', { className: 'panel', attrs: { hidden: true } }),
  };
  card.root = h('li', { className: 'card', attrs: { 'data-connection-id': id } },
    [card.info, card.actions, card.notice, card.error, card.panel]);
  return card;
}

function renderConnectionInfo(card, c) {
  var label = CHIPS[c.status] || c.status;
  card.root.setAttribute('aria-label', 'Connection ' + c.name + ': ' + label);
  var head = h('div', { className: 'card-head' }, [
    h('strong', { text: c.name }),
    h('span', { className: 'chip chip-' + c.status, text: label, attrs: { 'data-status': c.status } }),
  ]);
  var rows = [head, h('p', { className: 'meta', text: [
    c.driveType === 'sharepoint' ? 'SharePoint library' : c.driveType === 'business' ? 'OneDrive for work or school' : 'Personal OneDrive',
    'cloud ' + c.cloud, 'tenant ' + c.tenant, c.ownApp ? 'own app ' + c.clientId : null,
    c.authMode === 'app-only' ? 'app-only' : null,
  ].filter(Boolean).join(' \u00b7 ') })];
  if (c.accountName || c.accountUpn)
    rows.push(h('p', { className: 'meta', text: 'Signed in as ' + [c.accountName, c.accountUpn ? '(' + c.accountUpn + ')' : ''].filter(Boolean).join(' ') }));
  rows.push(h('p', { className: 'meta' }, [
    'Backups go to ', h('code', { text: c.rootFolder || '/', attrs: { 'data-field': 'root-folder' } }),
    c.driveId ? ' on drive ' + c.driveId : '',
    c.authorizedAt ? ' \u00b7 authorized ' + fmtTime(c.authorizedAt) : '',
  ]));
  if ((c.status === 'reauth-required' || c.status === 'error') && (c.statusReason || c.advice)) {
    rows.push(h('p', { className: 'reason', attrs: { 'data-field': 'status-reason' } }, [
      c.statusReason || '', c.advice ? ' ' + c.advice : '', c.statusCode ? ' (' + c.statusCode + ')' : '',
    ]));
  }
  card.info.replaceChildren.apply(card.info, rows);

  var actions = [];
  if (c.authMode !== 'app-only') {
    var again = c.status === 'authorized' || c.status === 'reauth-required' || c.status === 'error';
    actions.push(button(again ? 'Re-authorize' : 'Authorize', function () { authorize(card, c); },
      { 'aria-label': (again ? 'Re-authorize ' : 'Authorize ') + c.name }));
  }
  actions.push(button('Choose drive', function () { openDrivePicker(card, findConnection(c.id) || c); }));
  actions.push(button('Browse folders', function () { openFolderBrowser(card, findConnection(c.id) || c); }));
  actions.push(button('Test connection', function (event) { testConnection(card, c, event.currentTarget); }));
  actions.push(button('Delete', function (event) { deleteConnection(card, c, event.currentTarget); },
    { 'aria-label': 'Delete connection ' + c.name }));
  card.actions.replaceChildren.apply(card.actions, actions);
}

function openPanel(card, title, nodes) {
  card.panel.replaceChildren.apply(card.panel, [h('h3', { text: title, attrs: { tabindex: '-1' } })].concat(nodes));
  card.panel.hidden = false;
  card.panel.firstChild.focus();
}

// The sign-in runs in a new tab (a navigation cannot send the key header, so it goes as ?code=);
// this page watches the connection until its sign-in time changes.
function authorize(card, c) {
  clearError(card.error);
  var url = API_BASE + 'connections/' + enc(c.id) + '/authorize?code=' + enc(getKey());
  window.open(url, '_blank', 'noopener,noreferrer');
  card.notice.textContent = 'Sign in in the new tab. This page updates when the sign-in is done.';
  watchAuthorization(card, c);
}

function watchAuthorization(card, before) {
  if (authWatch[before.id]) clearInterval(authWatch[before.id]);
  var deadline = Date.now() + 10 * 60 * 1000;
  authWatch[before.id] = setInterval(async function () {
    var current;
    try { current = await api('GET', 'connections/' + enc(before.id)); } catch (e) { current = null; }
    var changed = current && (current.authorizedAt !== before.authorizedAt || current.status !== before.status);
    if (changed || Date.now() > deadline || !getKey()) {
      clearInterval(authWatch[before.id]);
      delete authWatch[before.id];
      card.notice.textContent = changed ? 'Sign-in finished: ' + (CHIPS[current.status] || current.status) + '.' : '';
      if (changed) refreshConnections().then(loadStatus);
    }
  }, 1500);
}

async function testConnection(card, c, control) {
  openPanel(card, 'Test connection', [h('p', { className: 'meta', text: 'Testing: sign-in, drive, folder, test write\u2026' })]);
  var report = await busy(control, card.error, function () { return api('POST', 'connections/' + enc(c.id) + '/test'); });
  if (!report) { card.panel.hidden = true; return; }
  var labels = { token: 'Sign-in (token refresh)', drive: 'Drive reachable', folder: 'Backup folder', probe: 'Test file written and deleted' };
  var steps = h('ul', { className: 'steps', attrs: { 'aria-label': 'Test steps' } }, (report.steps || []).map(function (s) {
    var result = s.skipped ? 'skipped' : s.ok ? 'ok' : 'failed';
    return h('li', { className: 'step-' + result, attrs: { 'data-step': s.step, 'data-result': result } }, [
      h('strong', { text: (labels[s.step] || s.step) + ': ' }),
      s.skipped ? 'skipped after an earlier failure' : (s.detail || (s.ok ? 'ok' : 'failed')),
      s.code ? ' (' + s.code + ')' : '', s.advice ? ' ' + s.advice : '',
    ]);
  }));
  var summary = h('p', { className: report.ok ? 'notice' : 'error', text: report.ok ? 'All steps passed: backups can be written here.' : 'The test failed; see the failed step.' });
  var folderUrl = report.webUrl || (report.folder && report.folder.webUrl);
  var link = externalLink(folderUrl, 'Open the backup folder in OneDrive');
  openPanel(card, 'Test connection', [summary, steps, link ? h('p', {}, [link]) : null].filter(Boolean));
  // A failed sign-in step may have marked the connection for re-authorization: show it now.
  refreshConnections().then(loadStatus);
}

async function deleteConnection(card, c, control) {
  if (!window.confirm('Delete the connection "' + c.name + '" and its stored sign-in? Backups already in OneDrive stay there.')) return;
  var done = await busy(control, card.error, async function () { await api('DELETE', 'connections/' + enc(c.id)); return true; });
  if (done) refreshConnections();
}

function bindConnectionForm() {
  $('connection-form').addEventListener('submit', async function (event) {
    event.preventDefault();
    var form = event.currentTarget;
    var value = function (id) { return $(id).value.trim(); };
    var body = {
      name: value('conn-name'),
      cloud: value('conn-cloud'),
      tenant: value('conn-tenant') || 'common',
      driveType: value('conn-drive-type'),
      rootFolder: value('conn-root') || '/',
    };
    if (value('conn-client-id')) body.clientId = value('conn-client-id');
    if ($('conn-client-secret').value) body.clientSecret = $('conn-client-secret').value;
    var submit = form.querySelector('button[type=submit]');
    var created = await busy(submit, $('connection-form-error'), function () { return api('POST', 'connections', body); });
    if (!created) return;
    form.reset();
    $('conn-client-secret').value = '';
    $('add-connection').open = false;
    await refreshConnections();
    var card = connectionCards[created.id];
    if (card) {
      card.notice.textContent = 'Added. Next: Authorize, to sign in to the OneDrive account.';
      var first = card.actions.querySelector('button');
      if (first) first.focus();
    }
  });
}
`;
