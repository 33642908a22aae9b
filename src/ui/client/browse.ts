// Client script: the drive and SharePoint library picker and the folder browser of a connection.
export const BROWSE = String.raw`
function driveLabel(d) {
  var parts = [d.name || d.id];
  if (d.driveType) parts.push('(' + d.driveType + ')');
  if (d.ownerName) parts.push('owned by ' + d.ownerName);
  if (d.quota && d.quota.remaining !== undefined) parts.push(fmtBytes(d.quota.remaining) + ' free');
  return parts.join(' ');
}

function driveList(card, c, drives, siteId) {
  if (!drives.length) return h('p', { className: 'meta', text: 'No drives found.' });
  return h('ul', { className: 'list', attrs: { 'aria-label': 'Drives' } }, drives.map(function (d) {
    var current = d.id === c.driveId;
    return h('li', {}, [
      h('span', {}, [driveLabel(d) + (current ? ' \u2014 in use' : '') + ' ', externalLink(d.webUrl, 'open in OneDrive')]),
      button(current ? 'In use' : 'Use this drive', function (event) {
        var patch = { driveId: d.id };
        if (siteId) patch.siteId = siteId;
        chooseDrive(card, c, patch, event.currentTarget, driveLabel(d));
      }, { 'aria-label': 'Use drive ' + (d.name || d.id) }),
    ]);
  }));
}

async function chooseDrive(card, c, patch, control, label) {
  var updated = await busy(control, card.error, function () { return api('PATCH', 'connections/' + enc(c.id), patch); });
  if (!updated) return;
  card.panel.hidden = true;
  card.notice.textContent = 'Backups now go to ' + label + '.';
  refreshConnections();
}

async function openDrivePicker(card, c) {
  clearError(card.error);
  if (c.driveType === 'sharepoint' && !c.siteId) return openSitePicker(card, c);
  openPanel(card, 'Choose a drive', [h('p', { className: 'meta', text: 'Loading drives\u2026' })]);
  var data = await busy(null, card.error, function () { return api('GET', 'connections/' + enc(c.id) + '/drives'); });
  if (!data) { card.panel.hidden = true; return; }
  var nodes = [driveList(card, c, data.drives || [], c.siteId)];
  if (c.driveType === 'sharepoint') nodes.push(button('Another SharePoint site', function () { openSitePicker(card, c); }));
  openPanel(card, 'Choose a drive', nodes);
}

function openSitePicker(card, c) {
  var id = 'site-search-' + c.id;
  var input = h('input', { attrs: { id: id, type: 'search', required: true } });
  var results = h('div', { attrs: { 'aria-live': 'polite' } });
  var form = h('form', { on: { submit: async function (event) {
    event.preventDefault();
    var data = await busy(form.querySelector('button'), card.error, function () {
      return api('GET', 'connections/' + enc(c.id) + '/sites?search=' + enc(input.value.trim()));
    });
    if (!data) return;
    var sites = data.sites || [];
    results.replaceChildren(sites.length ? h('ul', { className: 'list', attrs: { 'aria-label': 'Sites' } }, sites.map(function (s) {
      return h('li', {}, [
        h('span', { text: (s.displayName || s.name || s.id) + (s.webUrl ? ' \u2014 ' + s.webUrl : '') }),
        button('Libraries', async function (e) {
          var libs = await busy(e.currentTarget, card.error, function () {
            return api('GET', 'connections/' + enc(c.id) + '/sites/' + enc(s.id) + '/drives');
          });
          if (libs) results.replaceChildren(h('h3', { text: 'Libraries of ' + (s.displayName || s.name || s.id) }), driveList(card, c, libs.drives || [], s.id));
        }, { 'aria-label': 'Libraries of ' + (s.displayName || s.name || s.id) }),
      ]);
    })) : h('p', { className: 'meta', text: 'No sites match.' }));
  } } }, [
    h('label', { text: 'Search SharePoint sites', attrs: { for: id } }), input,
    h('div', { className: 'actions' }, [h('button', { text: 'Search', attrs: { type: 'submit' } })]),
  ]);
  openPanel(card, 'Choose a SharePoint library', [form, results]);
}

// Browses folders from the drive root; "Use this folder" makes it the connection's backup folder.
function openFolderBrowser(card, c) {
  clearError(card.error);
  var browser = { path: '/', next: null };
  var crumbs = h('p', { className: 'crumbs', attrs: { 'aria-live': 'polite', 'data-field': 'current-folder' } });
  var list = h('ul', { className: 'list', attrs: { 'aria-label': 'Folders' } });
  var more = button('More folders', function (event) { load(false, event.currentTarget); });
  var nameId = 'new-folder-' + c.id;
  var newName = h('input', { attrs: { id: nameId, maxlength: '255' } });
  var up = button('Up', function () { go(parentOf(browser.path)); });
  var use = button('Use this folder', function (event) {
    chooseFolder(card, c, browser.path, event.currentTarget);
  });
  use.className = 'primary';
  var create = h('form', { on: { submit: async function (event) {
    event.preventDefault();
    var name = newName.value.trim();
    if (!name) return;
    var made = await busy(create.querySelector('button'), card.error, function () {
      return api('POST', 'connections/' + enc(c.id) + '/folders', { parent: browser.path, name: name });
    });
    if (made) { newName.value = ''; go(made.path); }
  } } }, [
    h('label', { text: 'New folder here', attrs: { for: nameId } }), newName,
    h('div', { className: 'actions' }, [h('button', { text: 'Create folder', attrs: { type: 'submit' } })]),
  ]);

  function parentOf(path) {
    var parts = path.split('/').filter(Boolean);
    parts.pop();
    return '/' + parts.join('/');
  }
  function go(path) { browser.path = path; browser.next = null; load(true); }

  async function load(fresh, control) {
    crumbs.textContent = 'Folder: ' + browser.path;
    up.disabled = browser.path === '/';
    var query = 'path=' + enc(browser.path) + (browser.next && !fresh ? '&next=' + enc(browser.next) : '');
    var page = await busy(control, card.error, function () { return api('GET', 'connections/' + enc(c.id) + '/folders?' + query); });
    if (!page) return;
    if (fresh) list.replaceChildren();
    (page.folders || []).forEach(function (f) {
      list.append(h('li', {}, [
        button(f.name, function () { go(f.path); }, { 'aria-label': 'Open folder ' + f.name, 'data-folder': f.path }),
        h('span', { className: 'meta', text: f.childCount !== undefined ? plural(f.childCount, 'item') : '' }),
      ]));
    });
    if (!list.firstChild) list.append(h('li', { className: 'meta', text: 'No folders here.' }));
    browser.next = page.next || null;
    more.hidden = !browser.next;
  }

  openPanel(card, 'Choose the backup folder', [
    crumbs, h('div', { className: 'actions' }, [up, use]), list, more, create,
  ]);
  more.hidden = true;
  load(true);
}

async function chooseFolder(card, c, path, control) {
  var updated = await busy(control, card.error, function () {
    return api('PATCH', 'connections/' + enc(c.id), { rootFolder: path });
  });
  if (!updated) return;
  card.panel.hidden = true;
  card.notice.textContent = 'Backups now go to ' + updated.rootFolder + '.';
  refreshConnections();
}
`;
