// The drive and SharePoint library picker and the folder browser of a connection.
import { api, enc } from './api';
import { refreshConnections, setNotice, type ConnectionCard } from './connections';
import { openPanel } from './cards';
import { busy, button, clearError, externalLink, fmtBytes, h, plural } from './core';
import type {
  ConnectionInput,
  ConnectionView,
  DriveInfo,
  DriveList,
  FolderInfo,
  FolderPage,
  SiteInfo,
  SiteList,
} from './types';

function driveLabel(d: DriveInfo): string {
  const parts = [d.name || d.id];
  if (d.driveType) parts.push('(' + d.driveType + ')');
  if (d.ownerName) parts.push('owned by ' + d.ownerName);
  if (d.quota && d.quota.remaining !== undefined) parts.push(fmtBytes(d.quota.remaining) + ' free');
  return parts.join(' ');
}

function driveList(
  card: ConnectionCard,
  c: ConnectionView,
  drives: DriveInfo[],
  siteId: string | undefined,
): HTMLElement {
  if (!drives.length) return h('p', { className: 'meta', text: 'No drives found.' });
  return h(
    'ul',
    { className: 'list', attrs: { 'aria-label': 'Drives' } },
    drives.map((d) => {
      const current = d.id === c.driveId;
      return h('li', {}, [
        h('span', {}, [
          driveLabel(d) + (current ? ' \u2014 in use' : '') + ' ',
          externalLink(d.webUrl, 'open in OneDrive'),
        ]),
        button(
          current ? 'In use' : 'Use this drive',
          (control) => {
            const patch: ConnectionInput = { driveId: d.id };
            if (siteId) patch.siteId = siteId;
            chooseDrive(card, c, patch, control, driveLabel(d));
          },
          { 'aria-label': 'Use drive ' + (d.name || d.id) },
        ),
      ]);
    }),
  );
}

async function chooseDrive(
  card: ConnectionCard,
  c: ConnectionView,
  patch: ConnectionInput,
  control: HTMLButtonElement,
  label: string,
): Promise<void> {
  const updated = await busy(control, card.error, () =>
    api<ConnectionView>('PATCH', 'connections/' + enc(c.id), patch),
  );
  if (!updated) return;
  card.panel.hidden = true;
  setNotice(card, 'Backups now go to ' + label + '.');
  refreshConnections();
}

export async function openDrivePicker(card: ConnectionCard, c: ConnectionView): Promise<void> {
  clearError(card.error);
  if (c.driveType === 'sharepoint' && !c.siteId) return openSitePicker(card, c);
  openPanel(card, 'Choose a drive', [h('p', { className: 'meta', text: 'Loading drives\u2026' })]);
  const data = await busy(null, card.error, () =>
    api<DriveList>('GET', 'connections/' + enc(c.id) + '/drives'),
  );
  if (!data) {
    card.panel.hidden = true;
    return;
  }
  const nodes: Node[] = [driveList(card, c, data.drives || [], c.siteId)];
  // Work or school accounts can also back up into a SharePoint library they can write to.
  nodes.push(
    button(c.driveType === 'sharepoint' ? 'Another SharePoint site' : 'A SharePoint library', () =>
      openSitePicker(card, c),
    ),
  );
  openPanel(card, 'Choose a drive', nodes);
}

function siteName(s: SiteInfo): string {
  return s.displayName || s.name || s.id;
}

function siteList(
  card: ConnectionCard,
  c: ConnectionView,
  sites: SiteInfo[],
  results: HTMLElement,
): HTMLElement {
  if (!sites.length) return h('p', { className: 'meta', text: 'No sites match.' });
  return h(
    'ul',
    { className: 'list', attrs: { 'aria-label': 'Sites' } },
    sites.map((s) =>
      h('li', {}, [
        h('span', { text: siteName(s) + (s.webUrl ? ' \u2014 ' + s.webUrl : '') }),
        button(
          'Libraries',
          async (control) => {
            const libs = await busy(control, card.error, () =>
              api<DriveList>('GET', 'connections/' + enc(c.id) + '/sites/' + enc(s.id) + '/drives'),
            );
            if (libs)
              results.replaceChildren(
                h('h3', { text: 'Libraries of ' + siteName(s) }),
                driveList(card, c, libs.drives || [], s.id),
              );
          },
          { 'aria-label': 'Libraries of ' + siteName(s) },
        ),
      ]),
    ),
  );
}

function openSitePicker(card: ConnectionCard, c: ConnectionView): void {
  const id = 'site-search-' + c.id;
  const input = h('input', { attrs: { id, type: 'search', required: true } });
  const results = h('div', { attrs: { 'aria-live': 'polite' } });
  const search = async (event: Event): Promise<void> => {
    event.preventDefault();
    const data = await busy(form.querySelector('button'), card.error, () =>
      api<SiteList>('GET', 'connections/' + enc(c.id) + '/sites?search=' + enc(input.value.trim())),
    );
    if (!data) return;
    results.replaceChildren(siteList(card, c, data.sites || [], results));
  };
  const form = h('form', { on: { submit: search } }, [
    h('label', { text: 'Search SharePoint sites', attrs: { for: id } }),
    input,
    h('div', { className: 'actions' }, [h('button', { text: 'Search', attrs: { type: 'submit' } })]),
  ]);
  openPanel(card, 'Choose a SharePoint library', [form, results]);
}

function parentOf(path: string): string {
  const parts = path.split('/').filter(Boolean);
  parts.pop();
  return '/' + parts.join('/');
}

// Browses folders from the drive root; "Use this folder" makes it the connection's backup folder.
export function openFolderBrowser(card: ConnectionCard, c: ConnectionView): void {
  clearError(card.error);
  const browser: { path: string; next: string | null } = { path: '/', next: null };
  const crumbs = h('p', {
    className: 'crumbs',
    attrs: { 'aria-live': 'polite', 'data-field': 'current-folder' },
  });
  const list = h('ul', { className: 'list', attrs: { 'aria-label': 'Folders' } });
  const more = button('More folders', (control) => load(false, control));
  const nameId = 'new-folder-' + c.id;
  const newName = h('input', { attrs: { id: nameId, maxlength: '255' } });
  const up = button('Up', () => go(parentOf(browser.path)));
  const use = button('Use this folder', (control) => chooseFolder(card, c, browser.path, control));
  use.className = 'primary';
  const createFolder = async (event: Event): Promise<void> => {
    event.preventDefault();
    const name = newName.value.trim();
    if (!name) return;
    const made = await busy(create.querySelector('button'), card.error, () =>
      api<FolderInfo>('POST', 'connections/' + enc(c.id) + '/folders', { parent: browser.path, name }),
    );
    if (made) {
      newName.value = '';
      go(made.path);
    }
  };
  const create = h('form', { on: { submit: createFolder } }, [
    h('label', { text: 'New folder here', attrs: { for: nameId } }),
    newName,
    h('div', { className: 'actions' }, [h('button', { text: 'Create folder', attrs: { type: 'submit' } })]),
  ]);

  function go(path: string): void {
    browser.path = path;
    browser.next = null;
    load(true);
  }

  async function load(fresh: boolean, control: HTMLButtonElement | null = null): Promise<void> {
    crumbs.textContent = 'Folder: ' + browser.path;
    up.disabled = browser.path === '/';
    const query = 'path=' + enc(browser.path) + (browser.next && !fresh ? '&next=' + enc(browser.next) : '');
    const page = await busy(control, card.error, () =>
      api<FolderPage>('GET', 'connections/' + enc(c.id) + '/folders?' + query),
    );
    if (!page) return;
    if (fresh) list.replaceChildren();
    (page.folders || []).forEach((f) => {
      list.append(
        h('li', {}, [
          button(f.name, () => go(f.path), { 'aria-label': 'Open folder ' + f.name, 'data-folder': f.path }),
          h('span', {
            className: 'meta',
            text: f.childCount !== undefined ? plural(f.childCount, 'item') : '',
          }),
        ]),
      );
    });
    if (!list.firstChild) list.append(h('li', { className: 'meta', text: 'No folders here.' }));
    browser.next = page.next || null;
    more.hidden = !browser.next;
  }

  openPanel(card, 'Choose the backup folder', [
    crumbs,
    h('div', { className: 'actions' }, [up, use]),
    list,
    more,
    create,
  ]);
  more.hidden = true;
  load(true);
}

async function chooseFolder(
  card: ConnectionCard,
  c: ConnectionView,
  path: string,
  control: HTMLButtonElement,
): Promise<void> {
  const updated = await busy(control, card.error, () =>
    api<ConnectionView>('PATCH', 'connections/' + enc(c.id), { rootFolder: path }),
  );
  if (!updated) return;
  card.panel.hidden = true;
  setNotice(card, 'Backups now go to ' + updated.rootFolder + '.');
  refreshConnections();
}
