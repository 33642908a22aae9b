// The saved upload sessions (src/store/uploadSessions.ts) hold a bearer capability: the upload URL
// lets whoever has it write into the session. Attacks on the table row: reading it (no URL, no
// part of one, in any column), altering its ciphertext, and moving a sealed value into another
// file's or run's row. Each altered row is refused and deleted, never decrypted into a URL the
// worker would contact, and the upload then starts a session of its own.
import { createServer, type AddressInfo } from 'node:net';
import type { TableClient } from '@azure/data-tables';
import { quickXorAlgorithm, uploadFile } from '../../src/backup/upload';
import type { SessionCheckpoints } from '../../src/backup/upload/sessionStore';
import type { UploadContinuation, UploadOptions } from '../../src/backup/upload/types';
import { DataKeyProvider } from '../../src/secrets/dataKey';
import { AesGcmSealer } from '../../src/secrets/sealing';
import { MemorySecretStore } from '../../src/secrets/secretStore';
import { createBlobSource } from '../../src/sources/blobSource';
import { sessionRowKey, UploadSessionStore, type SessionFile } from '../../src/store/uploadSessions';
import { azuriteConnectionString } from '../helpers/azurite';
import {
  content,
  newContainer,
  newTable,
  putBlob,
  randomName,
  startGraph,
  UNIT,
  uploadOptions,
  type GraphFixture,
} from '../integration/backupHarness';

const URL_SECRET = 'Zm9yZ2VkLXNlc3Npb24tc2VjcmV0LXRva2Vu';
const session: UploadContinuation = {
  uploadUrl: `https://127.0.0.1:4443/up/0123456789abcdef01234567/${URL_SECRET}`,
  nextOffset: 4 * UNIT,
  hashState: JSON.stringify({ cells: 'AAAA', length: 4 * UNIT }),
  sessionExpiresAt: new Date(Date.now() + 3600e3).toISOString(),
};
const fileA: SessionFile = { runId: 'run-1', blobName: 'folder/a.bin', etag: '"0x1"', size: 10 * UNIT };
const fileB: SessionFile = { ...fileA, blobName: 'folder/b.bin' };

let table: TableClient;
let store: UploadSessionStore;
const discarded: string[] = [];

beforeAll(async () => {
  table = await newTable('sessec');
  const sealer = new AesGcmSealer(new DataKeyProvider(new MemorySecretStore(), 'upload-session-key', 't'));
  store = new UploadSessionStore(table, sealer, Date.now, (why) => discarded.push(why));
});

async function rawRow(file: SessionFile): Promise<Record<string, unknown> | undefined> {
  try {
    return (await table.getEntity(file.runId, sessionRowKey(file.blobName))) as Record<string, unknown>;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return undefined;
    throw error;
  }
}

describe('a stored upload session at rest', () => {
  it('holds no upload URL, no part of one and no plain offset or hash state in any column', async () => {
    await store.put(fileA, session);
    const row = await rawRow(fileA);
    expect(row).toBeDefined();
    const { partitionKey, rowKey, etag, timestamp, ...columns } = row!;
    void [partitionKey, etag, timestamp];
    expect(
      Object.keys(columns)
        .filter((k) => !k.startsWith('odata.'))
        .sort(),
    ).toEqual(['expiresAt', 'sealed', 'updatedAt']);
    // The row key names the file by a hash, not by its name.
    expect(rowKey).not.toContain('a.bin');
    // Every column the row has (Azurite's own metadata URL aside), the row key included.
    const text = JSON.stringify({ rowKey, ...columns, 'odata.metadata': undefined });
    for (const part of [
      session.uploadUrl,
      URL_SECRET,
      '0123456789abcdef01234567',
      '127.0.0.1',
      'https',
      '/up/',
    ])
      expect(text).not.toContain(part);
    expect(text).not.toContain(session.hashState);
    expect(await store.get(fileA)).toEqual(session);
  });

  it('refuses and deletes a row whose ciphertext was altered', async () => {
    await store.put(fileA, session);
    const row = (await rawRow(fileA))!;
    const flipped = tamper(String(row.sealed));
    await table.updateEntity(
      { partitionKey: fileA.runId, rowKey: sessionRowKey(fileA.blobName), sealed: flipped },
      'Merge',
    );
    discarded.length = 0;
    expect(await store.get(fileA)).toBeUndefined();
    expect(discarded.join(' ')).toMatch(/does not authenticate/);
    expect(discarded.join(' ')).not.toContain(URL_SECRET);
    expect(await rawRow(fileA)).toBeUndefined();
  });

  it("refuses another file's sealed session copied into this file's row", async () => {
    await store.put(fileA, session);
    await store.put(fileB, { ...session, nextOffset: 0 });
    const sealedA = String((await rawRow(fileA))!.sealed);
    await table.updateEntity(
      { partitionKey: fileB.runId, rowKey: sessionRowKey(fileB.blobName), sealed: sealedA },
      'Merge',
    );
    expect(await store.get(fileB)).toBeUndefined();
    // The original is untouched and still opens in its own row.
    expect(await store.get(fileA)).toEqual(session);
  });

  it('refuses a session saved for another blob version (ETag) or another run', async () => {
    await store.put(fileA, session);
    expect(await store.get({ ...fileA, etag: '"0x2"' })).toBeUndefined();
    await store.put(fileA, session);
    const sealed = String((await rawRow(fileA))!.sealed);
    const otherRun = { ...fileA, runId: 'run-2' };
    await table.upsertEntity({
      partitionKey: otherRun.runId,
      rowKey: sessionRowKey(fileA.blobName),
      sealed,
      expiresAt: session.sessionExpiresAt!,
      updatedAt: new Date().toISOString(),
    });
    expect(await store.get(otherRun)).toBeUndefined();
  });

  it('deletes the row once its session has expired', async () => {
    await store.put(fileA, { ...session, sessionExpiresAt: new Date(Date.now() - 1000).toISOString() });
    expect(await store.get(fileA)).toBeUndefined();
    expect(await rawRow(fileA)).toBeUndefined();
    await store.put(fileB, { ...session, sessionExpiresAt: new Date(Date.now() - 1000).toISOString() });
    expect(await store.purgeExpired()).toBeGreaterThanOrEqual(1);
    expect(await rawRow(fileB)).toBeUndefined();
  });
});

describe('the engine with an altered row', () => {
  let fx: GraphFixture;
  beforeAll(async () => {
    fx = await startGraph('personal');
  });
  afterAll(() => fx.graph.stop());

  it('never contacts a URL from a row that does not authenticate, and uploads in a session of its own', async () => {
    const blob = await sessionBlob('run-eng');
    const { name, data, file } = blob;
    // A real live session of this file, saved, then its row altered.
    const created = await fetch(
      `${fx.apiBaseUrl}/drives/${fx.driveId}/root:/Sec/${name}:/createUploadSession`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${fx.token}`, 'content-type': 'application/json' },
        body: '{}',
      },
    );
    const { uploadUrl } = (await created.json()) as { uploadUrl: string };
    await store.put(file, { uploadUrl, nextOffset: 0, hashState: quickXorEmpty() });
    const row = (await rawRow(file))!;
    const tampered = tamper(String(row.sealed));
    await table.updateEntity(
      { partitionKey: file.runId, rowKey: sessionRowKey(name), sealed: tampered },
      'Merge',
    );

    const before = fx.graph.server.requests.length;
    const outcome = await uploadWithSavedSession(fx, blob, uploadOptions({ chunkBytes: 4 * UNIT }));
    expect(outcome.status).toBe('completed');
    expect(outcome.stats.sessionsCreated).toBe(1);
    const oldPath = new URL(uploadUrl).pathname;
    expect(fx.graph.server.requests.slice(before).filter((r) => r.path === oldPath)).toHaveLength(0);
    expect(fx.graph.file(fx.driveId, `Sec/${name}`)?.content.equals(data)).toBe(true);
    // The altered row is gone: what is kept is the new session's finished state, until the task
    // has recorded the file and deletes it.
    const kept = await store.get(file);
    expect(kept?.nextOffset).toBe(data.length);
    expect(kept?.uploadUrl).not.toBe(uploadUrl);
  });
});

describe('an authentic saved session on a host the connection does not upload to', () => {
  let fx: GraphFixture;
  beforeAll(async () => {
    fx = await startGraph('personal');
  });
  afterAll(() => fx.graph.stop());

  it('is never contacted: the upload starts a session of its own on the configured host', async () => {
    // Whoever holds the sealing key (or a bug that saved a wrong URL) could seal any URL: the
    // engine still checks the opened URL against the connection's upload hosts before a request.
    const attacker = createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    let connections = 0;
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    try {
      const attackerPort = (attacker.address() as AddressInfo).port;
      const graphPort = new URL(fx.apiBaseUrl).port;
      const blob = await sessionBlob('run-host');
      const { name, data, file } = blob;
      await store.put(file, {
        uploadUrl: `https://127.0.0.1:${attackerPort}/up/${URL_SECRET}`,
        nextOffset: 0,
        hashState: quickXorEmpty(),
        sessionExpiresAt: new Date(Date.now() + 3600e3).toISOString(),
      });
      const outcome = await uploadWithSavedSession(
        fx,
        blob,
        uploadOptions({ chunkBytes: 4 * UNIT, allowedUploadHosts: [`127.0.0.1:${graphPort}`] }),
      );
      expect(outcome.status).toBe('completed');
      expect(outcome.stats.sessionsCreated).toBe(1);
      expect(connections).toBe(0);
      expect(fx.graph.file(fx.driveId, `Sec/${name}`)?.content.equals(data)).toBe(true);
    } finally {
      await new Promise<void>((resolve) => attacker.close(() => resolve()));
    }
  });
});

interface SessionBlob {
  name: string;
  data: Buffer;
  etag: string;
  file: SessionFile;
  source: ReturnType<typeof createBlobSource>;
}

/** A blob over the 4 MiB simple-upload limit (so it goes in a session), in a container of its own. */
async function sessionBlob(runId: string): Promise<SessionBlob> {
  const container = await newContainer();
  const name = randomName();
  const data = content(14 * UNIT + 3);
  const etag = await putBlob(container, name, data);
  const source = createBlobSource({
    connectionString: azuriteConnectionString(),
    container: container.containerName,
  });
  return { name, data, etag, source, file: { runId, blobName: name, etag, size: data.length } };
}

/** Uploads `blob` with the session store's row for it as the engine's saved session. */
function uploadWithSavedSession(
  fx: GraphFixture,
  blob: SessionBlob,
  options: UploadOptions,
): ReturnType<typeof uploadFile> {
  const { name, data, etag, source, file } = blob;
  const checkpoints: SessionCheckpoints = {
    load: () => store.get(file),
    save: (saved) => store.put(file, saved),
    clear: () => store.delete(file),
  };
  return uploadFile(
    {
      target: {
        apiBaseUrl: fx.apiBaseUrl,
        driveId: fx.driveId,
        encodedPath: `Sec/${encodeURIComponent(name)}`,
      },
      size: data.length,
      read: (offset, count) => source.readRange(name, offset, count, etag),
      tokens: fx.tokens,
      checkpoints,
    },
    options,
  );
}

/** One bit of the ciphertext body flipped (past the format and key version, inside the bytes). */
function tamper(sealed: string): string {
  const [format, version, data] = sealed.split('.');
  const raw = Buffer.from(data, 'base64url');
  raw[raw.length - 2] ^= 0x10;
  return `${format}.${version}.${raw.toString('base64url')}`;
}

function quickXorEmpty(): string {
  return quickXorAlgorithm.create().save();
}
