// The Graph emulator where real clients notice the difference from Microsoft: id reuse, eTag and
// cTag, fileSystemInfo, PATCH, copy, versions, delta, query options, conflict rules, download URL
// credentials, quota, Office property promotion, the body cap, deferCommit and HEAD. Each test
// names the Graph documentation page whose behaviour it checks, and talks HTTP only.
import { randomBytes } from 'node:crypto';
import { encodeDrivePath, FRAGMENT_MULTIPLE, type GraphEmulator } from '../../emulators/graph';
import { MAX_BODY_BYTES, CONTROL_KEY_HEADER } from '../../emulators/shared/server';
import { startTestGraph, type ManualClock, type TestToken } from '../../emulators/graph/testing';
import { QuickXorHash } from '../../src/graph/quickXorHash';

// Response bodies are checked field by field against Graph's documented shapes.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

let graph: GraphEmulator;
let clock: ManualClock;

beforeAll(async () => {
  ({ graph, clock } = await startTestGraph());
});
afterAll(() => graph.stop());

interface Reply {
  status: number;
  headers: Headers;
  body: Json;
  bytes: Buffer;
}

async function call(
  method: string,
  url: string,
  init: { token?: TestToken; headers?: Record<string, string>; body?: Buffer | string | Json } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token) headers.Authorization = `Bearer ${init.token}`;
  let body: BodyInit | undefined;
  if (Buffer.isBuffer(init.body)) body = new Uint8Array(init.body);
  else if (typeof init.body === 'string') body = init.body;
  else if (init.body) {
    body = JSON.stringify(init.body);
    headers['Content-Type'] = 'application/json';
  }
  const full = url.startsWith('https://') ? url : `${graph.baseUrl}/v1.0${url}`;
  const res = await fetch(full, { method, headers, body, redirect: 'manual' });
  const bytes = Buffer.from(await res.arrayBuffer());
  let parsed: Json = {};
  try {
    parsed = bytes.length ? JSON.parse(bytes.toString('utf8')) : {};
  } catch {
    // a download
  }
  return { status: res.status, headers: res.headers, body: parsed, bytes };
}

let counter = 0;
const fresh = (): string => `f${++counter}`;
const put = (token: TestToken, path: string, body: Buffer | string, query = ''): Promise<Reply> =>
  call('PUT', `/me/drive/root:/${encodeDrivePath(path)}:/content${query}`, {
    token,
    body: typeof body === 'string' ? Buffer.from(body) : body,
  });
const createSession = (token: TestToken, drivePath: string, body: Json): Promise<Reply> =>
  call('POST', `${drivePath}:/createUploadSession`, { token, body });
const putRange = (uploadUrl: string, start: number, total: number, data: Buffer): Promise<Reply> =>
  call('PUT', uploadUrl, {
    headers: { 'Content-Range': `bytes ${start}-${start + data.length - 1}/${total}` },
    body: data,
  });
const hashOf = (data: Buffer): string => new QuickXorHash().update(data).digest();

describe('item ids, eTag and cTag (driveItem resource type)', () => {
  it.each<TestToken>(['personal', 'work'])(
    'never hands out an id twice on a %s drive, even after a delete',
    async (token) => {
      const folder = fresh();
      const seen = new Set<string>();
      for (const name of ['a.txt', 'b.txt']) seen.add((await put(token, `${folder}/${name}`, name)).body.id);
      const first = (await put(token, `${folder}/a.txt`, 'a')).body.id;
      expect((await call('DELETE', `/me/drive/items/${encodeURIComponent(first)}`, { token })).status).toBe(
        204,
      );
      for (const name of ['c.txt', 'd.txt', 'e.txt']) {
        const id = (await put(token, `${folder}/${name}`, name)).body.id;
        expect(seen.has(id)).toBe(false);
        seen.add(id);
      }
    },
  );

  it('moves eTag on any change and cTag only when the content changes', async () => {
    const path = `${fresh()}/tags.txt`;
    const created = (await put('personal', path, 'one')).body;
    const id = encodeURIComponent(created.id);
    const renamed = (
      await call('PATCH', `/me/drive/items/${id}`, { token: 'personal', body: { name: 'tags2.txt' } })
    ).body;
    expect(renamed.eTag).not.toBe(created.eTag);
    expect(renamed.cTag).toBe(created.cTag);
    const replaced = (
      await call('PUT', `/me/drive/items/${id}/content`, { token: 'personal', body: Buffer.from('two') })
    ).body;
    expect(replaced.eTag).not.toBe(renamed.eTag);
    expect(replaced.cTag).not.toBe(renamed.cTag);
  });
});

describe('fileSystemInfo (fileSystemInfo resource type, createUploadSession, Update a driveItem)', () => {
  const clientDates = {
    createdDateTime: '2020-01-02T03:04:05.000Z',
    lastModifiedDateTime: '2021-06-07T08:09:10.000Z',
  };

  it('takes fileSystemInfo in createUploadSession item and keeps the service dates apart', async () => {
    const path = `/me/drive/root:/${fresh()}/dated.bin`;
    const session = await createSession('work', path, { item: { fileSystemInfo: clientDates } });
    expect(session.status).toBe(200);
    const data = randomBytes(1000);
    const done = await putRange(session.body.uploadUrl, 0, data.length, data);
    expect(done.status).toBe(201);
    expect(done.body.fileSystemInfo).toEqual(clientDates);
    expect(done.body.createdDateTime).toBe(new Date(clock.ms).toISOString());
    expect(done.body.lastModifiedDateTime).toBe(new Date(clock.ms).toISOString());
  });

  it('dates a simple upload at upload time and lets PATCH set the client dates afterwards', async () => {
    const created = (await put('personal', `${fresh()}/later.txt`, 'x')).body;
    expect(created.fileSystemInfo).toEqual({
      createdDateTime: new Date(clock.ms).toISOString(),
      lastModifiedDateTime: new Date(clock.ms).toISOString(),
    });
    const patched = await call('PATCH', `/me/drive/items/${encodeURIComponent(created.id)}`, {
      token: 'personal',
      body: { fileSystemInfo: clientDates },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.fileSystemInfo).toEqual(clientDates);
    const got = await call('GET', `/me/drive/items/${encodeURIComponent(created.id)}`, { token: 'personal' });
    expect(got.body.fileSystemInfo).toEqual(clientDates);
    expect(got.body.createdDateTime).toBe(created.createdDateTime);
  });
});

describe('PATCH, copy, versions and delta', () => {
  it('renames and moves with PATCH (Update a driveItem, Move a driveItem), refusing a taken name', async () => {
    const folder = fresh();
    const file = (await put('work', `${folder}/move-me.txt`, 'm')).body;
    const target = (await put('work', `${folder}/sub/keep.txt`, 'k')).body.parentReference.id;
    const id = encodeURIComponent(file.id);
    const moved = await call('PATCH', `/me/drive/items/${id}`, {
      token: 'work',
      body: { name: 'moved.txt', parentReference: { id: target } },
    });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ id: file.id, name: 'moved.txt' });
    expect(moved.body.parentReference).toMatchObject({ id: target, path: `/drive/root:/${folder}/sub` });
    expect((await call('GET', `/me/drive/root:/${folder}/move-me.txt`, { token: 'work' })).status).toBe(404);
    const clash = await call('PATCH', `/me/drive/items/${id}`, { token: 'work', body: { name: 'KEEP.txt' } });
    expect(clash.status).toBe(409);
    expect(clash.body.error.code).toBe('nameAlreadyExists');
  });

  it('copies with 202 and a monitor Location, then the copy is there (driveItem: copy)', async () => {
    const folder = fresh();
    const source = (await put('work', `${folder}/original.txt`, 'copy me')).body;
    const res = await call('POST', `/me/drive/items/${encodeURIComponent(source.id)}/copy`, {
      token: 'work',
      body: { parentReference: { id: source.parentReference.id }, name: 'copy.txt' },
    });
    expect(res.status).toBe(202);
    const monitor = res.headers.get('location')!;
    expect(monitor).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/monitor\//);
    const status = await call('GET', monitor);
    expect(status.body).toMatchObject({ status: 'completed', percentageComplete: 100 });
    const copy = await call('GET', `/me/drive/root:/${folder}/copy.txt`, { token: 'work' });
    expect(copy.status).toBe(200);
    expect(copy.body.id).toBe(status.body.resourceId);
    expect(copy.body.id).not.toBe(source.id);
    expect(copy.body.file.hashes.quickXorHash).toBe(source.file.hashes.quickXorHash);
    const again = await call('POST', `/me/drive/items/${encodeURIComponent(source.id)}/copy`, {
      token: 'work',
      body: { name: 'copy.txt' },
    });
    expect(again.status).toBe(409);
  });

  it('adds a version on every content replace (List versions of a driveItem)', async () => {
    const path = `${fresh()}/versioned.txt`;
    await put('work', path, 'v1');
    await put('work', path, 'v2-longer');
    const last = (await put('work', path, 'v3')).body;
    const versions = await call('GET', `/me/drive/items/${encodeURIComponent(last.id)}/versions`, {
      token: 'work',
    });
    expect(versions.status).toBe(200);
    expect(versions.body.value.map((v: Json) => [v.id, v.size])).toEqual([
      ['3.0', 2],
      ['2.0', 9],
      ['1.0', 2],
    ]);
  });

  it('enumerates with nextLink pages, then reports changes and deletions after the deltaLink (driveItem: delta)', async () => {
    graph.addUser({ id: 'user-delta', userPrincipalName: 'delta@contoso.com' });
    const driveId = graph.driveIdOf('delta@contoso.com');
    const at = (p: string): string => `/drives/${driveId}/root:/${p}:/content`;
    for (const name of ['a.txt', 'b.txt', 'sub/c.txt']) {
      await call('PUT', at(name), { token: 'app', body: Buffer.from(name) });
    }
    const names: string[] = [];
    let page = await call('GET', `/drives/${driveId}/root/delta?$top=2`, { token: 'app' });
    while (page.body['@odata.nextLink']) {
      expect(page.body.value.length).toBeLessThanOrEqual(2);
      names.push(...page.body.value.map((i: Json) => i.name));
      page = await call('GET', page.body['@odata.nextLink'], { token: 'app' });
    }
    names.push(...page.body.value.map((i: Json) => i.name));
    expect(names).toEqual(['root', 'a.txt', 'b.txt', 'sub', 'c.txt']);
    const deltaLink = page.body['@odata.deltaLink'];
    expect(deltaLink).toContain('token=');

    const [a, b, c] = await Promise.all(
      ['a.txt', 'b.txt', 'sub/c.txt'].map(
        async (p) => (await call('GET', `/drives/${driveId}/root:/${p}`, { token: 'app' })).body,
      ),
    );
    await call('PUT', at('a.txt'), { token: 'app', body: Buffer.from('changed') });
    await call('DELETE', `/drives/${driveId}/items/${encodeURIComponent(b.id)}`, { token: 'app' });
    const changes = await call('GET', deltaLink, { token: 'app' });
    // Tracked by id: on business drives a deleted item comes without its name.
    const byId = Object.fromEntries(changes.body.value.map((i: Json) => [i.id, i]));
    expect(byId[a.id].size).toBe(7);
    expect(byId[a.id].parentReference.path).toBeUndefined();
    expect(byId[b.id]).toMatchObject({ deleted: { state: 'deleted' } });
    expect(byId[c.id]).toBeUndefined();
    const quiet = await call('GET', changes.body['@odata.deltaLink'], { token: 'app' });
    expect(quiet.body.value).toEqual([]);
    const latest = await call('GET', `/drives/${driveId}/root/delta?token=latest`, { token: 'app' });
    expect(latest.body).toEqual({ value: [], '@odata.deltaLink': expect.stringContaining('token=') });
  });
});

describe('query options (OData query parameters, List children of a driveItem)', () => {
  it('honours $select on an item and on children, returning only what was asked for', async () => {
    const folder = fresh();
    await put('personal', `${folder}/s1.txt`, '1');
    await put('personal', `${folder}/s2.txt`, '22');
    const item = await call('GET', `/me/drive/root:/${folder}/s2.txt?$select=name,size`, {
      token: 'personal',
    });
    expect(item.body).toEqual({ name: 's2.txt', size: 2 });
    const kids = await call('GET', `/me/drive/root:/${folder}:/children?$select=name`, { token: 'personal' });
    expect(kids.body.value).toEqual([{ name: 's1.txt' }, { name: 's2.txt' }]);
  });

  it('inlines children with $expand=children and refuses expansions it does not model', async () => {
    const folder = fresh();
    await put('personal', `${folder}/e1.txt`, '1');
    const got = await call('GET', `/me/drive/root:/${folder}?$expand=children`, { token: 'personal' });
    expect(got.body.children.map((c: Json) => c.name)).toEqual(['e1.txt']);
    const bad = await call('GET', `/me/drive/root:/${folder}?$expand=thumbnails`, { token: 'personal' });
    expect(bad.status).toBe(400);
  });

  it('builds nextLink on the scheme and host the client called', async () => {
    const folder = fresh();
    for (const n of [1, 2, 3]) await put('personal', `${folder}/n${n}.txt`, 'x');
    const viaIp = `${graph.server.altBaseUrl}/v1.0/me/drive/root:/${folder}:/children?$top=2`;
    const page = await call('GET', viaIp, { token: 'personal' });
    expect(page.body['@odata.nextLink']).toMatch(
      new RegExp(`^${graph.server.altBaseUrl.replace(/\./g, '\\.')}/v1\\.0/`),
    );
    const viaName = await call('GET', `/me/drive/root:/${folder}:/children?$top=2`, { token: 'personal' });
    expect(viaName.body['@odata.nextLink'].startsWith(`${graph.baseUrl}/v1.0/`)).toBe(true);
  });
});

describe('conflict behaviour at createUploadSession (driveItem: createUploadSession)', () => {
  it('fails with 409 at session creation for fail, and when the property is absent (fail is the default)', async () => {
    const folder = fresh();
    await put('work', `${folder}/taken.bin`, 'here');
    const path = `/me/drive/root:/${folder}/taken.bin`;
    for (const body of [{ item: { '@microsoft.graph.conflictBehavior': 'fail' } }, {}, { item: {} }]) {
      const res = await createSession('work', path, body);
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('nameAlreadyExists');
    }
  });

  it('renames to a free name with rename and replaces in place with replace', async () => {
    const folder = fresh();
    const existing = (await put('work', `${folder}/same.bin`, 'old')).body;
    const path = `/me/drive/root:/${folder}/same.bin`;
    const data = Buffer.from('new bytes');
    const renamed = await createSession('work', path, {
      item: { '@microsoft.graph.conflictBehavior': 'rename' },
    });
    const r = await putRange(renamed.body.uploadUrl, 0, data.length, data);
    expect(r.status).toBe(201);
    expect(r.body.name).toBe('same 1.bin');
    const replaced = await createSession('work', path, {
      item: { '@microsoft.graph.conflictBehavior': 'replace' },
    });
    const p = await putRange(replaced.body.uploadUrl, 0, data.length, data);
    expect(p.status).toBe(200);
    expect(p.body.id).toBe(existing.id);
  });
});

describe('pre-authenticated download URLs (driveItem: get content, Download a file)', () => {
  it('refuses an Authorization header on a personal drive with 401, as upload URLs do', async () => {
    const item = (await put('personal', `${fresh()}/dl.txt`, 'download me')).body;
    const url = item['@microsoft.graph.downloadUrl'];
    expect((await call('GET', url)).status).toBe(200);
    const withToken = await call('GET', url, { headers: { Authorization: 'Bearer personal' } });
    expect(withToken.status).toBe(401);
  });

  it('answers HEAD as GET without a body: size and Accept-Ranges', async () => {
    const item = (await put('personal', `${fresh()}/head.txt`, '12345')).body;
    const res = await fetch(item['@microsoft.graph.downloadUrl'], { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe('5');
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect((await res.arrayBuffer()).byteLength).toBe(0);
  });
});

describe('quota (quota resource type) and its limit', () => {
  const quotaDrive = (name: string): string => {
    graph.addUser({ id: `user-${name}`, userPrincipalName: `${name}@contoso.com` });
    return graph.driveIdOf(`${name}@contoso.com`);
  };
  const setQuota = (driveId: string, total: number): Promise<Reply> =>
    call('POST', `${graph.baseUrl}/_emulator/graph/drives/${encodeURIComponent(driveId)}/quota`, {
      headers: { [CONTROL_KEY_HEADER]: graph.server.controlKey },
      body: { total },
    });
  const quotaOf = async (driveId: string): Promise<Json> =>
    (await call('GET', `/drives/${driveId}`, { token: 'app' })).body.quota;

  it('counts kept versions and the recycle bin, and moves state through nearing, critical, exceeded', async () => {
    const driveId = quotaDrive('quota-state');
    expect((await setQuota(driveId, 1000)).status).toBe(200);
    const at = (p: string): string => `/drives/${driveId}/root:/${p}:/content`;
    await call('PUT', at('a.bin'), { token: 'app', body: Buffer.alloc(300) });
    await call('PUT', at('a.bin'), { token: 'app', body: Buffer.alloc(300) });
    expect(await quotaOf(driveId)).toMatchObject({ used: 600, remaining: 400, deleted: 0, state: 'normal' });
    const b = (await call('PUT', at('b.bin'), { token: 'app', body: Buffer.alloc(310) })).body;
    await call('DELETE', `/drives/${driveId}/items/${encodeURIComponent(b.id)}`, { token: 'app' });
    expect(await quotaOf(driveId)).toMatchObject({
      used: 910,
      remaining: 90,
      deleted: 310,
      state: 'nearing',
    });
    await call('PUT', at('c.bin'), { token: 'app', body: Buffer.alloc(85) });
    expect((await quotaOf(driveId)).state).toBe('critical');
    await setQuota(driveId, 900);
    expect(await quotaOf(driveId)).toMatchObject({ remaining: 0, state: 'exceeded' });
  });

  it('refuses an upload that would not fit with 507 quotaLimitReached, at session creation and at the first chunk', async () => {
    const driveId = quotaDrive('quota-507');
    await setQuota(driveId, 1000);
    const path = `/drives/${driveId}/root:/big.bin`;
    const declared = await createSession('app', path, { item: { fileSize: 1001 } });
    expect(declared.status).toBe(507);
    expect(declared.body.error.code).toBe('quotaLimitReached');
    const open = await createSession('app', path, {});
    expect(open.status).toBe(200);
    const chunk = await putRange(
      open.body.uploadUrl,
      0,
      2000,
      Buffer.alloc(FRAGMENT_MULTIPLE).subarray(0, 2000),
    );
    expect(chunk.status).toBe(507);
    expect(chunk.body.error.code).toBe('quotaLimitReached');
  });

  it('keeps the quota control route behind the control key', async () => {
    const driveId = quotaDrive('quota-key');
    const res = await call('POST', `${graph.baseUrl}/_emulator/graph/drives/${driveId}/quota`, {
      body: { total: 1 },
    });
    expect(res.status).toBe(403);
    expect((await quotaOf(driveId)).total).toBeGreaterThan(1);
  });
});

describe('Office documents on business drives and document libraries (property promotion)', () => {
  const setRewrite = (driveId: string, enabled: boolean): Promise<Reply> =>
    call('POST', `${graph.baseUrl}/_emulator/graph/drives/${encodeURIComponent(driveId)}/office-rewrite`, {
      headers: { [CONTROL_KEY_HEADER]: graph.server.controlKey },
      body: { enabled },
    });

  it('stores a different size and quickXorHash for .docx/.xlsx/.pptx by default on a library, leaves other files alone, and can be switched off', async () => {
    const site = graph.addSite({
      id: 'contoso.sharepoint.com,5555,6666',
      displayName: 'Promotion',
      webUrl: 'https://contoso.sharepoint.com/sites/promotion',
      libraries: ['Documents'],
    });
    const [driveId] = site.driveIds;
    const sent = randomBytes(2000);
    for (const name of ['report.docx', 'book.XLSX', 'deck.pptx']) {
      const item = (
        await call('PUT', `/drives/${driveId}/root:/${name}:/content`, { token: 'app', body: sent })
      ).body;
      expect(item.size).not.toBe(sent.length);
      expect(item.file.hashes.quickXorHash).not.toBe(hashOf(sent));
      const stored = await call('GET', item['@microsoft.graph.downloadUrl']);
      expect(stored.bytes.length).toBe(item.size);
      expect(hashOf(stored.bytes)).toBe(item.file.hashes.quickXorHash);
    }
    const plain = (
      await call('PUT', `/drives/${driveId}/root:/notes.txt:/content`, { token: 'app', body: sent })
    ).body;
    expect(plain.file.hashes.quickXorHash).toBe(hashOf(sent));

    expect((await setRewrite(driveId, false)).status).toBe(200);
    const off = (
      await call('PUT', `/drives/${driveId}/root:/plain.docx:/content`, { token: 'app', body: sent })
    ).body;
    expect(off.size).toBe(sent.length);
  });

  it('never rewrites on a personal drive', async () => {
    const sent = randomBytes(500);
    const item = (await put('personal', `${fresh()}/mine.docx`, sent)).body;
    expect(item.file.hashes.quickXorHash).toBe(hashOf(sent));
  });
});

describe('smaller departures: body cap, deferCommit', () => {
  it("answers a body over the server's cap with 413 in Graph's error shape, innerError included", async () => {
    const session = await createSession('work', `/me/drive/root:/${fresh()}/huge.bin`, {});
    const res = await call('PUT', session.body.uploadUrl, {
      headers: { 'Content-Range': `bytes 0-${MAX_BODY_BYTES}/${MAX_BODY_BYTES + 1}` },
      body: Buffer.alloc(MAX_BODY_BYTES + 1),
    });
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({
      code: expect.any(String),
      message: expect.any(String),
      innerError: expect.objectContaining({ 'request-id': expect.any(String), date: expect.any(String) }),
    });
  });

  it('holds a deferCommit upload back until a zero-length POST to the upload URL (business)', async () => {
    const folder = fresh();
    const session = await createSession('work', `/me/drive/root:/${folder}/deferred.bin`, {
      deferCommit: true,
    });
    expect(session.status).toBe(200);
    const data = randomBytes(1234);
    const last = await putRange(session.body.uploadUrl, 0, data.length, data);
    expect(last.status).toBe(202);
    expect(last.body.nextExpectedRanges).toEqual([]);
    expect((await call('GET', `/me/drive/root:/${folder}/deferred.bin`, { token: 'work' })).status).toBe(404);
    const commit = await call('POST', session.body.uploadUrl, { body: '' });
    expect(commit.status).toBe(201);
    expect(commit.body.file.hashes.quickXorHash).toBe(hashOf(data));
    expect((await call('GET', `/me/drive/root:/${folder}/deferred.bin`, { token: 'work' })).status).toBe(200);
  });

  it('refuses deferCommit on a personal drive, whose PUT-with-sourceUrl commit it does not model', async () => {
    const res = await createSession('personal', `/me/drive/root:/${fresh()}/deferred.bin`, {
      deferCommit: true,
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('notSupported');
  });
});
