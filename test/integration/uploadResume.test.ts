// Crash resume of the upload engine against the Graph emulator, Azurite (blobs and the sealed session
// table) and the Key Vault emulator (the sealing key): an attempt killed mid-file leaves its upload
// session saved, and the next attempt resumes it with GET uploadUrl and sends at most the one chunk
// that was on the wire. The protocol is Microsoft Graph's "Resume an in-progress upload": GET the
// upload URL, read `nextExpectedRanges`, go on from there; a session that is gone answers 404
// (https://learn.microsoft.com/en-us/graph/api/driveitem-createuploadsession#resuming-an-in-progress-upload).
import type { IncomingMessage, Server } from 'node:http';
import type { ContainerClient } from '@azure/storage-blob';
import type { TableClient } from '@azure/data-tables';
import { KeyVaultEmulator } from '../../emulators/keyvault';
import { uploadFile } from '../../src/backup/upload';
import type { SessionCheckpoints } from '../../src/backup/upload/sessionStore';
import type {
  UploadContinuation,
  UploadOptions,
  UploadOutcome,
  UploadRequest,
} from '../../src/backup/upload/types';
import { QuickXorHash } from '../../src/graph/quickXorHash';
import * as wire from '../../src/graph/wire';
import { setLogSink, type LogSink } from '../../src/log/logger';
import { DataKeyProvider } from '../../src/secrets/dataKey';
import { UPLOAD_SESSION_KEY_SECRET } from '../../src/secrets/names';
import { AesGcmSealer } from '../../src/secrets/sealing';
import { KeyVaultSecretStore } from '../../src/secrets/secretStore';
import { createBlobSource } from '../../src/sources/blobSource';
import { UploadSessionStore, sessionRowKey, type SessionFile } from '../../src/store/uploadSessions';
import { azuriteConnectionString } from '../helpers/azurite';
import {
  content,
  MiB,
  newContainer,
  newTable,
  putBlob,
  randomName,
  startGraph,
  UNIT,
  uploadOptions,
  type GraphFixture,
} from './backupHarness';

const CHUNK = 4 * UNIT; // 1.25 MiB
const SIZE = 9 * CHUNK + 12_345; // ten chunks, the last one short

let fx: GraphFixture;
let container: ContainerClient;
let vault: KeyVaultEmulator;
let table: TableClient;
let store: UploadSessionStore;
let secrets: KeyVaultSecretStore;
let keyReads = 0;
const logLines: string[] = [];
let previousSink: LogSink;

class Killed extends Error {}

beforeAll(async () => {
  previousSink = setLogSink((line) => logLines.push(line));
  [fx, vault] = await Promise.all([startGraph('personal'), new KeyVaultEmulator().start()]);
  container = await newContainer();
  table = await newTable('sessions');
  // Counted on the emulator's own socket layer, so nothing the engine reports is trusted.
  (fx.graph.server as unknown as { server: Server }).server.prependListener(
    'request',
    (req: IncomingMessage) => {
      if (req.method === 'PUT' && req.headers.host?.startsWith('127.0.0.1'))
        offered += Number(req.headers['content-length'] ?? 0);
    },
  );
  secrets = new KeyVaultSecretStore({
    keyVaultUrl: vault.vaultUrl,
    credential: { getToken: async () => ({ token: 'kv', expiresOnTimestamp: Date.now() + 3600e3 }) },
  });
  const counted = {
    ...secrets,
    getSecret: (name: string, version?: string) => {
      keyReads += 1;
      return secrets.getSecret(name, version);
    },
    setSecret: secrets.setSecret.bind(secrets),
    deleteSecret: secrets.deleteSecret.bind(secrets),
  };
  store = new UploadSessionStore(
    table,
    new AesGcmSealer(new DataKeyProvider(counted, UPLOAD_SESSION_KEY_SECRET, 'test')),
  );
});
afterAll(async () => {
  setLogSink(previousSink);
  await Promise.all([fx.graph.stop(), vault.stop()]);
});
afterEach(() => fx.graph.server.faults.clear());

interface Prepared {
  name: string;
  data: Buffer;
  file: SessionFile;
  request: UploadRequest;
}

async function prepare(size = SIZE): Promise<Prepared> {
  const name = randomName();
  const data = content(size);
  const etag = await putBlob(container, name, data);
  const source = createBlobSource({
    connectionString: azuriteConnectionString(),
    container: container.containerName,
  });
  const file: SessionFile = { runId: `run-${name}`, blobName: name, etag, size };
  return {
    name,
    data,
    file,
    request: {
      target: {
        apiBaseUrl: fx.apiBaseUrl,
        driveId: fx.driveId,
        encodedPath: `Resume/${encodeURIComponent(name)}`,
      },
      size,
      read: (offset, count) => source.readRange(name, offset, count, etag),
      tokens: fx.tokens,
    },
  };
}

/** The store as the wiring hands it to the engine. */
function checkpointsFor(file: SessionFile): SessionCheckpoints {
  return {
    load: () => store.get(file),
    save: (session) => store.put(file, session),
    clear: () => store.delete(file),
  };
}

/** PUT body bytes offered to upload URLs since `since` (a value of `offered`), counted at the server. */
let offered = 0;
function bytesOffered(since: number): number {
  return offered - since;
}

/**
 * A first attempt that dies at the `put`-th chunk PUT: 'mid-body' cuts that chunk's connection half
 * way (the server keeps nothing of it); 'after-answer' lets the server take it and loses only the
 * answer. Either way the process dies in the retry wait that follows, before it learns anything more.
 */
async function attemptKilledAt(
  p: Prepared,
  put: number,
  mode: 'mid-body' | 'after-answer',
  {
    checkpoints = checkpointsFor(p.file),
    onKill = () => undefined,
    onProgress,
  }: {
    checkpoints?: SessionCheckpoints;
    onKill?: () => void;
    onProgress?: UploadOptions['onProgress'];
  } = {},
): Promise<void> {
  const options = uploadOptions({ chunkBytes: CHUNK, onProgress });
  const realSend = wire.sendOverWire;
  let puts = 0;
  const spy = jest.spyOn(wire, 'sendOverWire').mockImplementation(async (request) => {
    const isChunk = request.method === 'PUT' && new URL(request.url).hostname === '127.0.0.1';
    const killed = isChunk && ++puts === put;
    if (killed && mode === 'mid-body')
      fx.graph.server.faults.add({ kind: 'reset-request', afterBytes: CHUNK / 2, host: '127.0.0.1' });
    const answer = await realSend(request);
    if (killed) {
      await answer.text().catch(() => undefined);
      throw new TypeError('socket hang up');
    }
    return answer;
  });
  options.clock.sleep = async () => {
    onKill();
    throw new Killed('killed');
  };
  try {
    await expect(uploadFile({ ...p.request, checkpoints }, options)).rejects.toBeInstanceOf(Killed);
  } finally {
    spy.mockRestore();
  }
}

/** Graph reads of the item at the file's path since request number `since`, counted at the server. */
function itemReads(p: Prepared, since: number): number {
  return fx.graph.server.requests
    .slice(since)
    .filter((r) => r.method === 'GET' && r.path.endsWith(`/Resume/${p.name}:`)).length;
}

function expectInDrive(p: Prepared): void {
  const file = fx.graph.file(fx.driveId, `Resume/${p.name}`);
  expect(file?.content.equals(p.data)).toBe(true);
  expect((file!.item.file as { hashes: { quickXorHash: string } }).hashes.quickXorHash).toBe(
    QuickXorHash.of(p.data),
  );
}

/**
 * The attempt after a kill that left the file finished in the drive: it completes from the drive's
 * item, offering no byte and creating no session, and reads the item once (the item that shows the
 * file finished is the one verified, not read again to verify it).
 */
async function expectFinishedSendingNothing(p: Prepared): Promise<UploadOutcome> {
  const before = offered;
  const requestsBefore = fx.graph.server.requests.length;
  const outcome = await uploadFile(
    { ...p.request, checkpoints: checkpointsFor(p.file) },
    uploadOptions({ chunkBytes: CHUNK }),
  );
  expect(outcome.status).toBe('completed');
  expect(bytesOffered(before)).toBe(0);
  expect(outcome.stats.sessionsCreated).toBe(0);
  expect(
    fx.graph.server.requests.slice(requestsBefore).filter((r) => r.path.endsWith(':/createUploadSession')),
  ).toHaveLength(0);
  expect(itemReads(p, requestsBefore)).toBe(1);
  expectInDrive(p);
  return outcome;
}

describe('crash resume', () => {
  it('a task redelivered after a kill mid-chunk resumes with GET uploadUrl and resends only that chunk', async () => {
    const p = await prepare();
    const before = offered;
    await attemptKilledAt(p, 7, 'mid-body');
    expect(fx.graph.sessions().find((s) => s.path.endsWith(p.name))?.received).toBe(6 * CHUNK);
    const stored = await store.get(p.file);
    expect(stored?.nextOffset).toBe(6 * CHUNK);
    // Each chunk extends the session: the saved expiry is the server's latest, not the one at creation.
    const live = fx.graph.sessions().find((s) => s.path.endsWith(p.name))!;
    expect(Date.parse(stored!.sessionExpiresAt!)).toBe(live.expiresAt);

    const retryStart = fx.graph.server.requests.length;
    const outcome = await uploadFile(
      { ...p.request, checkpoints: checkpointsFor(p.file) },
      uploadOptions({ chunkBytes: CHUNK }),
    );
    expect(outcome.status).toBe('completed');
    expectInDrive(p);
    const retry = fx.graph.server.requests.slice(retryStart);
    // Resumed, not restarted: the first request is the status of the saved session, and none creates one.
    expect(retry[0]).toMatchObject({ method: 'GET', hostname: '127.0.0.1' });
    expect(retry.filter((r) => r.path.endsWith(':/createUploadSession'))).toHaveLength(0);
    expect(outcome.stats.sessionsCreated).toBe(0);
    // Both attempts together offered the file plus at most the one chunk that was on the wire.
    const resent = bytesOffered(before) - SIZE;
    expect(resent).toBeGreaterThan(0);
    expect(resent).toBeLessThanOrEqual(CHUNK);
    // The file is done: its row holds the finished state until the task has recorded the file and
    // cleared it (src/backup/blobUpload.ts forgetSession).
    expect((await store.get(p.file))?.nextOffset).toBe(SIZE);
    await checkpointsFor(p.file).clear();
    expect(await table.getEntity(p.file.runId, sessionRowKey(p.name)).catch((e) => e.statusCode)).toBe(404);
  });

  it('a kill after the server took a chunk but before its checkpoint was saved: nothing is resent', async () => {
    const p = await prepare();
    await attemptKilledAt(p, 5, 'after-answer');
    expect(fx.graph.sessions().find((s) => s.path.endsWith(p.name))?.received).toBe(5 * CHUNK);
    expect((await store.get(p.file))?.nextOffset).toBe(4 * CHUNK);

    const before = offered;
    const outcome = await uploadFile(
      { ...p.request, checkpoints: checkpointsFor(p.file) },
      uploadOptions({ chunkBytes: CHUNK }),
    );
    expect(outcome.status).toBe('completed');
    expectInDrive(p);
    // The server was one chunk ahead of the checkpoint: that chunk is hashed from the source, not resent.
    expect(bytesOffered(before)).toBe(SIZE - 5 * CHUNK);
    expect(logLines.some((l) => l.includes('upload.session.resumed'))).toBe(true);
  });

  it('a kill in a fresh process before its first checkpoint could land: the session was saved before its first chunk', async () => {
    const p = await prepare();
    // A new process: the sealing key is not in memory yet and Key Vault answers 429 first, so the
    // first sealed write waits about a second while chunks to the emulator take milliseconds.
    vault.server.faults.add({
      kind: 'status',
      status: 429,
      retryAfterSeconds: 1,
      code: 'Throttled',
      count: 1,
    });
    // What dies with the process: a write still waiting when it is killed never reaches the table.
    let dead = false;
    const tableOfProcess = new Proxy(table, {
      get(target, key, receiver) {
        if (key === 'upsertEntity')
          return async (...args: Parameters<TableClient['upsertEntity']>) =>
            dead ? {} : target.upsertEntity(...args);
        const value = Reflect.get(target, key, receiver) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const freshStore = new UploadSessionStore(
      tableOfProcess,
      new AesGcmSealer(new DataKeyProvider(secrets, UPLOAD_SESSION_KEY_SECRET, 'test')),
    );
    const before = offered;
    try {
      await attemptKilledAt(p, 4, 'after-answer', {
        checkpoints: {
          load: () => freshStore.get(p.file),
          save: (s) => freshStore.put(p.file, s),
          clear: () => freshStore.delete(p.file),
        },
        onKill: () => {
          dead = true;
        },
      });
    } finally {
      vault.server.faults.clear();
    }
    expect(fx.graph.sessions().find((s) => s.path.endsWith(p.name))?.received).toBe(4 * CHUNK);
    expect(await store.get(p.file)).toBeDefined();

    const outcome = await uploadFile(
      { ...p.request, checkpoints: checkpointsFor(p.file) },
      uploadOptions({ chunkBytes: CHUNK }),
    );
    expect(outcome.status).toBe('completed');
    expect(outcome.stats.sessionsCreated).toBe(0);
    expectInDrive(p);
    // The server was ahead of whatever the row said: hashed from the source, nothing sent twice.
    expect(bytesOffered(before)).toBe(SIZE);
  });

  it('a kill after the last chunk landed: the next attempt finds the finished file and sends nothing', async () => {
    const p = await prepare();
    await attemptKilledAt(p, 10, 'after-answer');
    await expectFinishedSendingNothing(p);
  });

  it('a kill after the last chunks landed while the saved state was two chunks behind: nothing is sent', async () => {
    const p = await prepare();
    // Every state the engine reached, not only those its background writer got to save: which
    // of them reach the table depends on the table's speed, and this test picks the lag itself.
    const states: UploadContinuation[] = [];
    await attemptKilledAt(p, 10, 'after-answer', {
      onProgress: ({ continuation }) => void states.push(continuation),
    });
    // Saved in the background, the row can lag the server: here by the last full chunk and the short one.
    const behind = states.find((s) => s.nextOffset === 8 * CHUNK);
    expect(behind).toBeDefined();
    await store.put(p.file, behind!);
    // Both chunks are hashed from the source; without that the file would go again whole.
    await expectFinishedSendingNothing(p);
  });

  it('a kill after the file completed but before its task recorded it: the redelivery sends nothing', async () => {
    const p = await prepare();
    const first = await uploadFile(
      { ...p.request, checkpoints: checkpointsFor(p.file) },
      uploadOptions({ chunkBytes: CHUNK }),
    );
    expect(first.status).toBe('completed');
    // The process dies here, before the manifest entry and the run's record of the file are written.
    const again = await expectFinishedSendingNothing(p);
    expect(again.status === 'completed' && again.item.id).toBe(first.status === 'completed' && first.item.id);
    expect(logLines.some((l) => l.includes('upload.session.finished'))).toBe(true);
  });

  it('a redelivered small file the drive already holds is not sent again; one it does not hold is', async () => {
    const p = await prepare(300_000);
    const options = uploadOptions({ chunkBytes: CHUNK });
    const first = await uploadFile(p.request, options);
    expect(first.status).toBe('completed');
    const puts = (since: number): number =>
      fx.graph.server.requests.slice(since).filter((r) => r.method === 'PUT' && r.path.endsWith(':/content'))
        .length;
    // The task died after the drive took the file, before recording it: its redelivery finds it.
    let since = fx.graph.server.requests.length;
    const again = await uploadFile({ ...p.request, redelivered: true }, options);
    expect(again.status === 'completed' && again.item.id).toBe(first.status === 'completed' && first.item.id);
    expect(puts(since)).toBe(0);
    expect(itemReads(p, since)).toBe(1);
    expectInDrive(p);
    // A redelivery whose bytes the drive does not hold (here: another version at the path) sends them.
    const other = await prepare(300_000);
    await uploadFile({ ...other.request, target: p.request.target }, options);
    since = fx.graph.server.requests.length;
    await uploadFile({ ...p.request, redelivered: true }, options);
    expect(puts(since)).toBe(1);
    expectInDrive(p);
  });

  it('a saved session the server has expired: a new session, the file whole and once', async () => {
    const p = await prepare();
    await attemptKilledAt(p, 4, 'mid-body');
    fx.graph.expireAllSessions();
    const outcome = await uploadFile(
      { ...p.request, checkpoints: checkpointsFor(p.file) },
      uploadOptions({ chunkBytes: CHUNK }),
    );
    expect(outcome.status).toBe('completed');
    expect(outcome.stats.sessionsCreated).toBe(1);
    expectInDrive(p);
    expect(fx.graph.listFiles(fx.driveId).filter((f) => f.path.includes(p.name))).toHaveLength(1);
  });

  it('reads the sealing key from Key Vault once per process, not per file or chunk', async () => {
    // Every test above sealed and opened many checkpoints through this one provider.
    expect(keyReads).toBeGreaterThanOrEqual(1);
    expect(keyReads).toBeLessThanOrEqual(2);
  });

  it('never logs an upload URL', () => {
    const urls = fx.graph.sessions().map((s) => s.id);
    expect(logLines.length).toBeGreaterThan(0);
    for (const line of logLines) {
      expect(line).not.toMatch(/https:\/\/127\.0\.0\.1:\d+\/up\//);
      for (const id of urls) expect(line).not.toContain(id);
    }
  });
});

describe('what a checkpoint costs', () => {
  it('measures one sealed Table write against the time to upload a chunk', async () => {
    const p = await prepare(8 * MiB);
    const session: UploadContinuation = {
      uploadUrl: `https://127.0.0.1:1/up/${'x'.repeat(24)}/${'y'.repeat(32)}`,
      nextOffset: CHUNK,
      hashState: JSON.stringify({ cells: 'A'.repeat(28), length: CHUNK }),
      sessionExpiresAt: new Date(Date.now() + 3600e3).toISOString(),
    };
    await store.put(p.file, session);
    const writes = 50;
    const started = process.hrtime.bigint();
    for (let i = 0; i < writes; i++) await store.put(p.file, { ...session, nextOffset: i * CHUNK });
    const perWriteMs = Number(process.hrtime.bigint() - started) / 1e6 / writes;
    const t0 = process.hrtime.bigint();
    const outcome = await uploadFile(p.request, uploadOptions({ chunkBytes: CHUNK }));
    const perChunkMs = Number(process.hrtime.bigint() - t0) / 1e6 / Math.ceil((8 * MiB) / CHUNK);
    expect(outcome.status).toBe('completed');
    // The alternative: the URL as a Key Vault secret per file (a write per session, a read per
    // resume, a delete per file), against the vault emulator.
    const kv = new KeyVaultSecretStore({
      keyVaultUrl: vault.vaultUrl,
      credential: { getToken: async () => ({ token: 'kv', expiresOnTimestamp: Date.now() + 3600e3 }) },
    });
    const k0 = process.hrtime.bigint();
    const rounds = 10;
    for (let i = 0; i < rounds; i++) {
      const name = `upload-session-${p.file.runId.replace(/[^0-9a-zA-Z]/g, '')}-${i}`;
      await kv.setSecret(name, session.uploadUrl);
      await kv.getSecret(name);
      await kv.deleteSecret(name);
    }
    const perFileKvMs = Number(process.hrtime.bigint() - k0) / 1e6 / rounds;
    console.log(
      `checkpoint: ${perWriteMs.toFixed(2)} ms per sealed upsert (Azurite); chunk of ${CHUNK} B: ${perChunkMs.toFixed(1)} ms (emulator); Key Vault per file (set + get + delete): ${perFileKvMs.toFixed(1)} ms (emulator)`,
    );
    expect(perWriteMs).toBeGreaterThan(0);
  });
});
