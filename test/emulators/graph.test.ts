import { randomBytes } from 'node:crypto';
import { encodeDrivePath, type GraphEmulator } from '../../emulators/graph';
import {
  startTestGraph,
  TEST_PRINCIPALS,
  type ManualClock,
  type TestToken,
} from '../../emulators/graph/testing';
import { QuickXorHash } from '../../src/graph/quickXorHash';
import type { Client } from '@microsoft/microsoft-graph-client';

// Response bodies are checked field by field against Graph's documented shapes.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

let graph: GraphEmulator;
let clock: ManualClock;
let client: (token: TestToken) => Client;

beforeAll(async () => {
  ({ graph, clock, client } = await startTestGraph({ simpleUploadMaxBytes: 1024 * 1024 }));
});
afterAll(() => graph.stop());

interface RawResponse {
  status: number;
  headers: Headers;
  json: () => Promise<Json>;
  bytes: () => Promise<Buffer>;
}

async function raw(
  method: string,
  url: string,
  init: { token?: TestToken; headers?: Record<string, string>; body?: Buffer | string } = {},
): Promise<RawResponse> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token) headers.Authorization = `Bearer ${init.token}`;
  const full = url.startsWith('https://') ? url : `${graph.baseUrl}/v1.0${url}`;
  const res = await fetch(full, {
    method,
    headers,
    body: typeof init.body === 'string' ? init.body : init.body && new Uint8Array(init.body),
    redirect: 'manual',
  });
  const buffer = Buffer.from(await res.arrayBuffer());
  return {
    status: res.status,
    headers: res.headers,
    json: async () => JSON.parse(buffer.toString('utf8')),
    bytes: async () => buffer,
  };
}

/** Unique folder per test so tests never see each other's files. */
let folderCounter = 0;
const freshFolder = (): string => `t${++folderCounter}-${Date.now()}`;

const upload = (token: TestToken, path: string, body: Buffer | string, query = ''): Promise<RawResponse> =>
  raw('PUT', `/me/drive/root:/${encodeDrivePath(path)}:/content${query}`, { token, body });

describe('Graph emulator: identity, drives and permissions', () => {
  it('refuses calls without a valid bearer token with 401 InvalidAuthenticationToken', async () => {
    const none = await raw('GET', '/me/drive');
    const bogus = await raw('GET', '/me/drive', { headers: { Authorization: 'Bearer nope' } });
    expect([none.status, bogus.status]).toEqual([401, 401]);
    const body = await bogus.json();
    expect(body.error.code).toBe('InvalidAuthenticationToken');
    expect(body.error.innerError).toEqual(
      expect.objectContaining({
        date: expect.any(String),
        'request-id': expect.any(String),
        'client-request-id': expect.any(String),
      }),
    );
  });

  it('describes the caller at /me and gives personal accounts a personal drive, work accounts a business one', async () => {
    const me = await client('personal').api('/me').get();
    expect(me).toEqual({
      id: TEST_PRINCIPALS.personal.oid,
      displayName: 'Pat Personal',
      userPrincipalName: 'pat@outlook.com',
      mail: 'pat@outlook.com',
    });
    const personal = await client('personal').api('/me/drive').get();
    const business = await client('work').api('/me/drive').get();
    expect(personal.driveType).toBe('personal');
    expect(business.driveType).toBe('business');
    expect(personal.id).not.toBe(business.id);
    expect(business.owner.user.id).toBe(TEST_PRINCIPALS.work.oid);
    expect(business.quota).toEqual(
      expect.objectContaining({
        total: expect.any(Number),
        used: expect.any(Number),
        remaining: expect.any(Number),
        state: 'normal',
      }),
    );
    const byId = await client('work').api(`/drives/${business.id}`).get();
    expect(byId.id).toBe(business.id);
    const list = await client('work').api('/me/drives').get();
    expect(list.value.map((d: { id: string }) => d.id)).toEqual([business.id]);
  });

  it('lets app-only tokens reach a user drive by UPN only with Files.ReadWrite.All or Sites.ReadWrite.All', async () => {
    graph.addUser({ id: 'user-dana', userPrincipalName: 'dana@contoso.com', displayName: 'Dana' });
    const drive = await client('app').api('/users/dana@contoso.com/drive').get();
    expect(drive).toEqual(
      expect.objectContaining({ id: graph.driveIdOf('dana@contoso.com'), driveType: 'business' }),
    );
    const denied = await raw('GET', '/users/dana@contoso.com/drive', { token: 'appWithoutRoles' });
    expect(denied.status).toBe(403);
    expect((await denied.json()).error.code).toBe('accessDenied');
    const me = await raw('GET', '/me', { token: 'app' });
    expect(me.status).toBe(400);
  });

  it("denies writes to a token with read-only scope and any access to other users' drives", async () => {
    const write = await upload('workReadOnly', 'x.txt', 'x');
    expect(write.status).toBe(403);
    const personalDriveId = (await client('personal').api('/me/drive').get()).id;
    const foreign = await raw('GET', `/drives/${personalDriveId}/root`, { token: 'work' });
    expect(foreign.status).toBe(403);
  });
});

describe('Graph emulator: items by id and path', () => {
  it('creates a file and its missing parent folders by path, and returns a complete driveItem', async () => {
    const folder = freshFolder();
    const content = randomBytes(5000);
    const res = await upload('work', `${folder}/deep er/report #1.bin`, content);
    expect(res.status).toBe(201);
    const item = await res.json();
    const drive = await client('work').api('/me/drive').get();
    expect(item).toEqual(
      expect.objectContaining({
        name: 'report #1.bin',
        size: 5000,
        eTag: expect.any(String),
        cTag: expect.any(String),
        createdDateTime: expect.any(String),
        lastModifiedDateTime: expect.any(String),
        webUrl: expect.any(String),
        file: { mimeType: 'application/octet-stream', hashes: { quickXorHash: QuickXorHash.of(content) } },
        '@microsoft.graph.downloadUrl': expect.stringMatching(/^https:\/\/127\.0\.0\.1:/),
      }),
    );
    expect(item.parentReference).toEqual(
      expect.objectContaining({
        driveId: drive.id,
        driveType: 'business',
        path: `/drive/root:/${folder}/deep er`,
      }),
    );
    // The same item, addressed four ways.
    const byId = await client('work')
      .api(`/drives/${drive.id}/items/${encodeURIComponent(item.id)}`)
      .get();
    const byPath = await client('work')
      .api(`/drives/${drive.id}/root:/${encodeDrivePath(`${folder}/deep er/report #1.bin`)}`)
      .get();
    const byPathColon = await client('work')
      .api(`/me/drive/root:/${encodeDrivePath(`${folder}/deep er/report #1.bin`)}:`)
      .get();
    const relative = await client('work')
      .api(
        `/me/drive/items/${encodeURIComponent(item.parentReference.id)}:/${encodeURIComponent('report #1.bin')}:`,
      )
      .get();
    expect([byId.id, byPath.id, byPathColon.id, relative.id]).toEqual([item.id, item.id, item.id, item.id]);
    const parent = await client('work')
      .api(`/me/drive/root:/${encodeDrivePath(`${folder}/deep er`)}`)
      .get();
    expect(parent.folder).toEqual({ childCount: 1 });
  });

  it('decodes paths segment by segment, so an encoded slash stays in a name and is refused', async () => {
    const res = await raw('PUT', `/me/drive/root:/${freshFolder()}/a%2Fb.txt:/content`, {
      token: 'work',
      body: 'x',
    });
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('invalidRequest');
  });

  it("answers a missing item with 404 itemNotFound in Graph's error shape", async () => {
    const res = await raw('GET', '/me/drive/root:/no/such/file.txt', { token: 'work' });
    expect(res.status).toBe(404);
    const body = await res.json();
    expect(body.error).toEqual(
      expect.objectContaining({
        code: 'itemNotFound',
        message: expect.any(String),
        innerError: expect.objectContaining({ date: expect.any(String) }),
      }),
    );
    const byId = await raw('GET', '/me/drive/items/NOPE', { token: 'work' });
    expect(byId.status).toBe(404);
  });

  it('replaces on a second simple upload (200, same id, new hash) and honours conflictBehavior fail and rename', async () => {
    const path = `${freshFolder()}/notes.txt`;
    const first = await (await upload('work', path, 'one')).json();
    const second = await upload('work', path, 'two!');
    expect(second.status).toBe(200);
    const replaced = await second.json();
    expect(replaced.id).toBe(first.id);
    expect(replaced.file.hashes.quickXorHash).toBe(QuickXorHash.of(Buffer.from('two!')));
    expect(replaced.eTag).not.toBe(first.eTag);
    const fail = await upload('work', path, 'three', '?@microsoft.graph.conflictBehavior=fail');
    expect(fail.status).toBe(409);
    expect((await fail.json()).error.code).toBe('nameAlreadyExists');
    const rename = await upload('work', path, 'four', '?@microsoft.graph.conflictBehavior=rename');
    expect(rename.status).toBe(201);
    expect((await rename.json()).name).toBe('notes 1.txt');
  });

  it('replaces content by item id and uploads by parent id and name', async () => {
    const folder = await client('work')
      .api('/me/drive/root/children')
      .post({ name: freshFolder(), folder: {}, '@microsoft.graph.conflictBehavior': 'fail' });
    const created = await raw('PUT', `/me/drive/items/${encodeURIComponent(folder.id)}:/child.txt:/content`, {
      token: 'work',
      body: 'hello',
    });
    expect(created.status).toBe(201);
    const child = await created.json();
    const replaced = await raw('PUT', `/me/drive/items/${encodeURIComponent(child.id)}/content`, {
      token: 'work',
      body: 'bye',
    });
    expect(replaced.status).toBe(200);
    const drive = await client('work').api('/me/drive').get();
    expect(graph.file(drive.id, `/${folder.name}/child.txt`)?.content.toString()).toBe('bye');
  });

  it('refuses a simple upload over the size limit with 413', async () => {
    const res = await upload('work', `${freshFolder()}/big.bin`, Buffer.alloc(1024 * 1024 + 1));
    expect(res.status).toBe(413);
    expect((await res.json()).error.innerError.code).toBe('maxFileSizeExceeded');
  });
});

describe('Graph emulator: folders and children paging', () => {
  it('creates folders with fail, rename and replace conflict behaviours', async () => {
    const parent = await client('work')
      .api('/me/drive/root/children')
      .post({ name: freshFolder(), folder: {} });
    const children = client('work').api(`/me/drive/items/${encodeURIComponent(parent.id)}/children`);
    const a = await children.post({
      name: 'Photos',
      folder: {},
      '@microsoft.graph.conflictBehavior': 'fail',
    });
    await expect(
      client('work')
        .api(`/me/drive/items/${encodeURIComponent(parent.id)}/children`)
        .post({ name: 'photos', folder: {}, '@microsoft.graph.conflictBehavior': 'fail' }),
    ).rejects.toMatchObject({ statusCode: 409, code: 'nameAlreadyExists' });
    const renamed = await client('work')
      .api(`/me/drive/items/${encodeURIComponent(parent.id)}/children`)
      .post({ name: 'Photos', folder: {}, '@microsoft.graph.conflictBehavior': 'rename' });
    expect(renamed.name).toBe('Photos 1');
    const replaced = await client('work')
      .api(`/me/drive/items/${encodeURIComponent(parent.id)}/children`)
      .post({ name: 'Photos', folder: {}, '@microsoft.graph.conflictBehavior': 'replace' });
    expect(replaced.id).not.toBe(a.id);
  });

  it('pages children 200 at a time by default with a full https nextLink and an opaque skiptoken', async () => {
    const folder = freshFolder();
    const drive = await client('work').api('/me/drive').get();
    for (let i = 0; i < 205; i++) {
      const res = await upload('work', `${folder}/f${String(i).padStart(3, '0')}.txt`, `${i}`);
      expect(res.status).toBe(201);
    }
    const first = await client('work').api(`/me/drive/root:/${folder}:/children`).get();
    expect(first.value).toHaveLength(200);
    const next: string = first['@odata.nextLink'];
    expect(next).toMatch(new RegExp(`^${graph.baseUrl}/v1\\.0/`));
    const token = new URL(next).searchParams.get('$skiptoken');
    expect(token).not.toMatch(/200/);
    const second = await client('work').api(next).get();
    expect(second.value).toHaveLength(5);
    expect(second['@odata.nextLink']).toBeUndefined();
    const names = [...first.value, ...second.value].map((i: { name: string }) => i.name);
    expect(new Set(names).size).toBe(205);

    const small = await client('work').api(`/drives/${drive.id}/root:/${folder}:/children`).top(100).get();
    expect(small.value).toHaveLength(100);
    expect(new URL(small['@odata.nextLink']).searchParams.get('$top')).toBe('100');
  });
});

describe('Graph emulator: OneDrive name rules', () => {
  const refused: Array<[string, string]> = [
    ['quote', 'a"b.txt'],
    ['star', 'a*b.txt'],
    ['colon', 'a:b.txt'],
    ['less than', 'a<b.txt'],
    ['greater than', 'a>b.txt'],
    ['question mark', 'a?b.txt'],
    ['backslash', 'a\\b.txt'],
    ['pipe', 'a|b.txt'],
    ['leading space', ' lead.txt'],
    ['trailing space', 'trail.txt '],
    ['CON', 'CON'],
    ['prn lower-case', 'prn'],
    ['AUX', 'AUX'],
    ['NUL', 'NUL'],
    ['COM0', 'COM0'],
    ['COM9', 'com9'],
    ['LPT0', 'LPT0'],
    ['LPT9', 'LPT9'],
    ['.lock', '.lock'],
    ['desktop.ini', 'desktop.ini'],
    ['~$ prefix', '~$budget.xlsx'],
    ['_vti_', 'my_vti_file.txt'],
  ];

  it.each(refused)('refuses a file name with %s with 400 invalidRequest', async (_why, name) => {
    const res = await upload('work', `${freshFolder()}/${name}`, 'x');
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('invalidRequest');
  });

  it('accepts names next to the rules (CONSOLE, a.lock.txt, file ending in a dot)', async () => {
    const folder = freshFolder();
    for (const name of ['CONSOLE.txt', 'a.lock.txt', 'dots.', 'LPT10', '$~x']) {
      expect({ name, status: (await upload('work', `${folder}/${name}`, 'x')).status }).toEqual({
        name,
        status: 201,
      });
    }
  });

  it('refuses a folder whose name ends with a dot, but not a file', async () => {
    const folder = await raw('POST', '/me/drive/root/children', {
      token: 'work',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'ends.', folder: {} }),
    });
    expect(folder.status).toBe(400);
    const asParent = await upload('work', `${freshFolder()}/ends./file.txt`, 'x');
    expect(asParent.status).toBe(400);
  });

  it('refuses a decoded path over 400 characters but accepts exactly 400', async () => {
    const folder = freshFolder();
    const okName = 'n'.repeat(400 - folder.length - 1);
    expect((await upload('work', `${folder}/${okName}`, 'x')).status).toBe(201);
    const tooLong = await upload('work', `${folder}/${okName}x`, 'x');
    expect(tooLong.status).toBe(400);
    expect((await tooLong.json()).error.innerError.code).toBe('pathIsTooLong');
  });
});

describe('Graph emulator: quota, delete, recycle bin', () => {
  it('refuses a write beyond the quota with 507 quotaLimitReached and reports usage', async () => {
    graph.addUser({ id: 'user-quota', userPrincipalName: 'quota@contoso.com' });
    const driveId = graph.driveIdOf('quota@contoso.com');
    graph.setQuota(driveId, 1000);
    const put = (name: string, size: number): Promise<RawResponse> =>
      raw('PUT', `/drives/${driveId}/root:/${name}:/content`, { token: 'app', body: Buffer.alloc(size) });
    expect((await put('a.bin', 600)).status).toBe(201);
    const over = await put('b.bin', 401);
    expect(over.status).toBe(507);
    expect((await over.json()).error.code).toBe('quotaLimitReached');
    expect((await put('b.bin', 400)).status).toBe(201);
    const drive = await client('app').api(`/drives/${driveId}`).get();
    expect(drive.quota).toEqual(expect.objectContaining({ total: 1000, used: 1000, remaining: 0 }));
    // Replacing keeps the old content as a version (driveItem "List versions"), so even a smaller
    // replacement needs room of its own.
    expect((await put('a.bin', 500)).status).toBe(507);
  });

  it('moves deleted items to the recycle bin, where they still count against quota', async () => {
    const folder = freshFolder();
    const item = await (await upload('work', `${folder}/gone.txt`, 'bytes')).json();
    const drive = await client('work').api('/me/drive').get();
    await client('work')
      .api(`/me/drive/items/${encodeURIComponent(item.id)}`)
      .delete();
    expect(graph.file(drive.id, `${folder}/gone.txt`)).toBeUndefined();
    expect(graph.recycleBin(drive.id)).toContainEqual(
      expect.objectContaining({ path: `/${folder}/gone.txt`, id: item.id, kind: 'file' }),
    );
    const after = await raw('GET', `/me/drive/items/${encodeURIComponent(item.id)}`, { token: 'work' });
    expect(after.status).toBe(404);
    const quota = (await client('work').api('/me/drive').get()).quota;
    expect(quota.deleted).toBeGreaterThanOrEqual('bytes'.length);
  });

  it('permanently deletes on business drives and refuses permanentDelete on personal drives', async () => {
    const folder = freshFolder();
    const work = await (await upload('work', `${folder}/perm.txt`, 'x')).json();
    const del = await raw('POST', `/me/drive/items/${encodeURIComponent(work.id)}/permanentDelete`, {
      token: 'work',
    });
    expect(del.status).toBe(204);
    const workDrive = await client('work').api('/me/drive').get();
    expect(graph.recycleBin(workDrive.id).map((r) => r.id)).not.toContain(work.id);

    const mine = await (await upload('personal', `${folder}/perm.txt`, 'x')).json();
    const refused = await raw('POST', `/me/drive/items/${encodeURIComponent(mine.id)}/permanentDelete`, {
      token: 'personal',
    });
    expect(refused.status).toBe(400);
    expect((await refused.json()).error.code).toBe('notSupported');
    const personalDrive = await client('personal').api('/me/drive').get();
    expect(graph.file(personalDrive.id, `${folder}/perm.txt`)).toBeDefined();
  });
});

describe('Graph emulator: downloads', () => {
  it('redirects .../content to a pre-authenticated URL on the other host that serves ranges', async () => {
    const content = randomBytes(10_000);
    const item = await (await upload('work', `${freshFolder()}/dl.bin`, content)).json();
    const redirect = await raw('GET', `/me/drive/items/${encodeURIComponent(item.id)}/content`, {
      token: 'work',
    });
    expect(redirect.status).toBe(302);
    const location = redirect.headers.get('location')!;
    expect(new URL(location).hostname).toBe('127.0.0.1');

    expect(await (await raw('GET', location)).bytes()).toEqual(content);
    const part = await raw('GET', location, { headers: { Range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 100-199/10000');
    expect(await part.bytes()).toEqual(content.subarray(100, 200));
    const tail = await raw('GET', location, { headers: { Range: 'bytes=-10' } });
    expect(await tail.bytes()).toEqual(content.subarray(9990));
    const beyond = await raw('GET', location, { headers: { Range: 'bytes=10000-' } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe('bytes */10000');

    // The SDK follows the redirect itself (dropping the token for the other host).
    const viaSdk: ArrayBuffer = await client('work')
      .api(`/me/drive/items/${encodeURIComponent(item.id)}/content`)
      .responseType('arraybuffer' as never)
      .get();
    expect(Buffer.from(viaSdk)).toEqual(content);
    expect(await (await raw('GET', item['@microsoft.graph.downloadUrl'])).bytes()).toEqual(content);
  });

  it('stops honouring a download URL after it expires', async () => {
    const item = await (await upload('work', `${freshFolder()}/old.bin`, 'x')).json();
    clock.advance(2 * 3600_000);
    expect((await raw('GET', item['@microsoft.graph.downloadUrl'])).status).toBe(404);
  });
});

describe('Graph emulator: sites and document libraries', () => {
  it('finds sites by search and lists their libraries as documentLibrary drives', async () => {
    const site = graph.addSite({
      id: 'contoso.sharepoint.com,1111,2222',
      displayName: 'Finance Team',
      webUrl: 'https://contoso.sharepoint.com/sites/finance',
      libraries: ['Documents', 'Backups'],
    });
    graph.addSite({
      id: 'contoso.sharepoint.com,3333,4444',
      displayName: 'Marketing',
      webUrl: 'https://contoso.sharepoint.com/sites/mkt',
      libraries: [],
    });
    const found = await client('work').api('/sites').query({ search: 'finance' }).get();
    expect(found.value.map((s: { id: string }) => s.id)).toEqual([site.id]);
    const one = await client('work').api(`/sites/${site.id}`).get();
    expect(one.displayName).toBe('Finance Team');
    const drives = await client('work').api(`/sites/${site.id}/drives`).get();
    expect(drives.value.map((d: { name: string; driveType: string }) => [d.name, d.driveType])).toEqual([
      ['Documents', 'documentLibrary'],
      ['Backups', 'documentLibrary'],
    ]);
    const defaultDrive = await client('work').api(`/sites/${site.id}/drive`).get();
    expect(defaultDrive.id).toBe(site.driveIds[0]);

    const put = await raw('PUT', `/drives/${site.driveIds[1]}/root:/nightly/db.sql:/content`, {
      token: 'app',
      body: 'dump',
    });
    expect(put.status).toBe(201);
    expect(graph.file(site.driveIds[1], 'nightly/db.sql')?.content.toString()).toBe('dump');
    const viaSite = await raw('GET', `/sites/${encodeURIComponent(site.id)}/drive/root`, { token: 'app' });
    expect(viaSite.status).toBe(200);
    const personalSearch = await raw('GET', '/sites?search=finance', { token: 'personal' });
    expect(personalSearch.status).toBe(403);
  });
});

describe('Graph emulator: every stored file carries the right quickXorHash', () => {
  it('matches src/graph/quickXorHash over the stored bytes for every file in the drives used above', () => {
    let checked = 0;
    for (const token of ['work', 'personal'] as const) {
      const driveId = graph.driveIdOf(TEST_PRINCIPALS[token].oid);
      for (const file of graph.listFiles(driveId)) {
        const hashes = (file.item.file as { hashes: { quickXorHash: string } }).hashes;
        expect({ path: file.path, hash: hashes.quickXorHash }).toEqual({
          path: file.path,
          hash: QuickXorHash.of(file.content),
        });
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(200);
  });
});
