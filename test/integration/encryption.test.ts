// Encrypted jobs end to end, through the real handlers (jobs API → planner → uploader → restore
// worker) on Azurite and the Graph emulator: what reaches the drive is rclone crypt ciphertext under
// encrypted names, rclone itself (when installed) decrypts it back byte for byte, our restore does
// too, and a wrong password or one changed byte fails the file with DecryptionFailed, writing
// nothing. Format: https://rclone.org/crypt/#file-formats (header, 64 KiB secretbox blocks) and
// https://rclone.org/crypt/#name-encryption.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ContainerClient } from '@azure/storage-blob';
import { LOCAL_BLOB_ENDPOINTS, localAdmin } from '../helpers/blobEndpoints';
import { QUEUES } from '../../src/app/queues';
import { jobsApi, type AdminDeps } from '../../src/backup/admin';
import type { BackupDeps } from '../../src/backup/deps';
import { handlePlanMessage } from '../../src/backup/planner';
import { startRun } from '../../src/backup/scheduler';
import { handleUploadMessage } from '../../src/backup/uploader';
import { obscure } from '../../src/crypt';
import { decodeDrivePath } from '../../src/graph/names';
import { restoreJob, type RestoreApiDeps } from '../../src/restore/api';
import type { RestoreDeps } from '../../src/restore/deps';
import { handleRestoreMessage } from '../../src/restore/worker';
import { restoreCrypt } from '../../src/restore/download/decryption';
import { ManualClock } from '../../src/runtime/clock';
import { CryptKeyring, CryptPasswordStore } from '../../src/secrets/cryptPasswords';
import { cryptPasswordSecretNames } from '../../src/secrets/names';
import { MemorySecretStore } from '../../src/secrets/secretStore';
import type { Job } from '../../src/store/jobs';
import type { Run } from '../../src/store/runs';
import { uniqueName } from '../helpers/azurite';
import {
  backupDeps,
  MiB,
  newContainer,
  newTable,
  putBlob,
  useGraph,
  UNIT,
  type GraphFixture,
} from './backupHarness';
import { containerClient, restoreDeps, restoreRequest } from './restoreWorld';

const ROOT = 'Apps/Backup';
const BLOCK = 64 * 1024;
/** The block boundaries the format's edge cases sit on, a multi-block file and an upload session. */
const SIZES: Record<string, number> = {
  'empty.bin': 0,
  'one byte': 1,
  'docs/exactly one block.docx': BLOCK,
  'docs/one block and one byte.txt': BLOCK + 1,
  'deep/er/multi block ünïcode.dat': 3 * BLOCK + 5,
  // Over the 4 MiB simple-upload limit: an upload session whose 1.25 MiB chunks never line up with
  // the 65,552-byte cipher blocks.
  'big/session.bin': 5 * MiB + 7,
};
/**
 * A user's folder with the app's folder name: encrypted, it must not become the app's folder. It is
 * stored as "‛.azure-onedrive-backup" (one more quote, taken off by our restore); rclone shows it so.
 */
const APP_FOLDER_TWIN = 'x/.azure-onedrive-backup/inner.txt';
const asRcloneShows = (files: Map<string, Buffer>): Map<string, Buffer> =>
  new Map(
    [...files].map(([name, bytes]) => [
      // rclone names it "‛.azure-onedrive-backup"; its local backend doubles the quote on disk.
      name === APP_FOLDER_TWIN ? 'x/\u201B\u201B.azure-onedrive-backup/inner.txt' : name,
      bytes,
    ]),
  );
/** Name → SHA-256 of the bytes: jest compares large Buffers byte by byte, far too slowly. */
const digests = (files: Map<string, Buffer>): Record<string, string> =>
  Object.fromEntries(
    [...files].map(([name, bytes]) => [name, createHash('sha256').update(bytes).digest('hex')]),
  );

const RCLONE = spawnSync('rclone', ['version'], { encoding: 'utf8' }).status === 0;

let fx: GraphFixture;
useGraph('personal', (started) => (fx = started));

interface World {
  backup: BackupDeps;
  restore: RestoreDeps;
  admin: AdminDeps;
  api: RestoreApiDeps;
  secrets: MemorySecretStore;
  queue: Array<{ queue: string; message: unknown }>;
  container: ContainerClient;
  source: Map<string, Buffer>;
}

async function world(extra: Record<string, number> = {}): Promise<World> {
  const clock = new ManualClock(Date.now());
  const queue: World['queue'] = [];
  const send = async (q: string, message: unknown): Promise<void> =>
    void queue.push({ queue: q, message: JSON.parse(JSON.stringify(message)) });
  const secrets = new MemorySecretStore();
  const backup: BackupDeps = {
    ...backupDeps({
      fx,
      clock,
      send,
      rootFolder: ROOT,
      plannerPageSize: 4,
      logName: 'crypt',
      driveType: 'personal',
    }),
    crypt: new CryptKeyring(new CryptPasswordStore(secrets)),
  };
  const [listings, manifestTable] = await Promise.all([newTable('listings'), newTable('manifest')]);
  const restore: RestoreDeps = {
    ...restoreDeps({
      fx,
      runs: backup.runs as never,
      tables: { listings, manifest: manifestTable },
      clock,
      send,
      rootFolder: ROOT,
      logName: 'crypt-restore',
      settings: { blockSize: 2 * BLOCK + 100 },
    }),
    manifest: backup.manifest,
    crypt: async (e) => restoreCrypt(await backup.crypt!.keys(e.jobId), e),
  };
  const container = await newContainer();
  const source = new Map<string, Buffer>();
  for (const [name, size] of Object.entries({ ...SIZES, ...extra })) {
    // Recognisable plaintext, so a leak into the drive would show.
    const data = Buffer.alloc(size, `PLAINTEXT ${name} `);
    source.set(name, data);
    await putBlob(container, name, data);
  }
  return {
    backup,
    restore,
    admin: localAdmin(backup),
    api: { restore, job: (id) => backup.jobs.require(id), blobEndpoints: LOCAL_BLOB_ENDPOINTS },
    secrets,
    queue,
    container,
    source,
  };
}

async function drain(w: World): Promise<void> {
  while (w.queue.length) {
    const { queue, message } = w.queue.shift()!;
    if (queue === QUEUES.plan) await handlePlanMessage(w.backup, message);
    else if (queue === QUEUES.upload) await handleUploadMessage(w.backup, message);
    else await handleRestoreMessage(w.restore, message);
  }
}

async function createJob(w: World, encryption: Record<string, unknown>): Promise<Job> {
  const res = await jobsApi.create(w.admin, {
    method: 'POST',
    url: '/api/jobs',
    params: {},
    query: new URLSearchParams(),
    headers: {},
    body: JSON.stringify({
      name: 'crypt',
      connectionId: 'conn-1',
      source: { container: w.container.containerName },
      destinationFolder: uniqueName('enc'),
      schedule: '0 0 2 * * *',
      chunkSizeBytes: 4 * UNIT,
      encryption,
    }),
  });
  expect(res.status).toBe(201);
  return res.body as Job;
}

async function backUp(w: World, job: Job): Promise<Run> {
  const run = await startRun(w.backup, job.id, 'manual');
  await drain(w);
  return (await w.backup.runs.get(job.id, run.id))!.value;
}

/** The job folder's files as stored in the emulated drive: decoded path below the folder → bytes. */
function driveFiles(job: Job): Map<string, Buffer> {
  const folder = `/${ROOT}/${job.destinationFolder}/`;
  const out = new Map<string, Buffer>();
  for (const { path, content } of fx.graph.listFiles(fx.driveId))
    if (path.startsWith(folder)) out.set(decodeDrivePath(path.slice(folder.length)), content);
  return out;
}

async function restoreInto(w: World, job: Job): Promise<{ run: Run; target: string }> {
  const target = uniqueName('restored');
  const res = await restoreJob(w.api, job.id, restoreRequest({ targetContainer: target }));
  expect(res.status).toBe(202);
  await drain(w);
  const runId = (res.body as { runId: string }).runId;
  return { run: (await w.backup.runs.find(runId))!, target };
}

async function blobs(container: string): Promise<Map<string, Buffer>> {
  const client = containerClient(container);
  const out = new Map<string, Buffer>();
  if (!(await client.exists())) return out;
  for await (const blob of client.listBlobsFlat())
    out.set(blob.name, await client.getBlobClient(blob.name).downloadToBuffer());
  return out;
}

describe.each<[Record<string, unknown>]>([
  [{ mode: 'rclone-crypt' }],
  [{ mode: 'rclone-crypt', filenameEncryption: 'obfuscate', directoryNameEncryption: false }],
  [{ mode: 'rclone-crypt', filenameEncryption: 'off', filenameEncoding: 'base64' }],
])('an encrypted job %j', (encryption) => {
  it('stores only ciphertext, rclone reads it back, and the restore is byte-identical', async () => {
    // The twin of the app's folder only where every name is encrypted: elsewhere the folder name is
    // plain and the drive's own encoding applies, which rclone's local backend decodes differently.
    const standard = encryption.filenameEncryption === undefined;
    const w = await world(standard ? { [APP_FOLDER_TWIN]: 10 } : {});
    const job = await createJob(w, encryption);
    const run = await backUp(w, job);
    expect(run.status).toBe('succeeded');
    expect(run.totals).toMatchObject({ uploadedFiles: w.source.size, failedFiles: 0 });

    const stored = driveFiles(job);
    // The files, and the run index (encrypted as they are, name included when directories are).
    expect(stored.size).toBe(w.source.size + 1);
    for (const [path, bytes] of stored) {
      expect(bytes.subarray(0, 8).toString('latin1')).toBe('RCLONE\x00\x00');
      expect(bytes.includes(Buffer.from('PLAINTEXT'))).toBe(false);
      expect(bytes.includes(Buffer.from('"kind":"file"'))).toBe(false);
      if (encryption.filenameEncryption === undefined) {
        expect(w.source.has(path)).toBe(false);
        expect(path).not.toContain('azure-onedrive-backup');
      }
    }
    // Names as chosen: off keeps them, with rclone's .bin suffix.
    if (encryption.filenameEncryption === 'off')
      for (const name of w.source.keys()) expect(stored.has(`${name}.bin`)).toBe(true);

    // The passwords are nowhere but Key Vault (and the answer that shows them).
    const names = cryptPasswordSecretNames(job.id);
    const password = (await w.secrets.getSecret(names.password))!.value;
    expect(JSON.stringify(await w.backup.jobs.get(job.id))).not.toContain(password);
    expect(JSON.stringify(w.queue)).not.toContain(password);

    // The independent check: rclone itself (installed in CI by .ci/setup-tools).
    if (RCLONE)
      expect(
        digests(
          rcloneDecrypts(stored, encryption, password, (await w.secrets.getSecret(names.password2))!.value),
        ),
      ).toEqual(digests(asRcloneShows(w.source)));
    else process.stderr.write('rclone is not installed: the rclone cross-check was skipped\n');

    // Unchanged source: nothing uploaded again (the manifest keys on the plaintext blobs).
    const again = await backUp(w, job);
    expect(again.totals).toMatchObject({ uploadedFiles: 0, failedFiles: 0 });

    const restored = await restoreInto(w, job);
    expect(restored.run).toMatchObject({ status: 'succeeded' });
    expect(digests(await blobs(restored.target))).toEqual(digests(w.source));
  }, 120_000);
});

/**
 * Backs up an encrypted job one chunk per delivery, so big/session.bin goes through a continuation
 * per chunk; `beforeContinuation` runs before the n-th continuation is handled. Answers the run.
 */
async function backUpInContinuations(
  w: World,
  job: Job,
  beforeContinuation: (n: number) => Promise<void> = async () => undefined,
): Promise<{ run: Run; continuations: number }> {
  (w.backup.settings as { invocationBudgetSeconds: number }).invocationBudgetSeconds = 0;
  const started = await startRun(w.backup, job.id, 'manual');
  let continuations = 0;
  while (w.queue.length) {
    const { queue, message } = w.queue.shift()!;
    if (queue === QUEUES.plan) await handlePlanMessage(w.backup, message);
    else {
      if ((message as { continuation?: unknown }).continuation) await beforeContinuation(++continuations);
      await handleUploadMessage(w.backup, message);
    }
  }
  return { run: (await w.backup.runs.get(job.id, started.id))!.value, continuations };
}

describe('an encrypted file too large for one invocation', () => {
  it("finishes through continuations, each checked against the blob's planned size, not the ciphertext size its row shows in flight", async () => {
    const w = await world();
    const job = await createJob(w, { mode: 'rclone-crypt' });
    const { run, continuations } = await backUpInContinuations(w, job);
    expect(continuations).toBe(Math.ceil(SIZES['big/session.bin'] / (4 * UNIT)) - 1);
    expect(run).toMatchObject({
      status: 'succeeded',
      totals: { uploadedFiles: w.source.size, failedFiles: 0 },
    });
    const restored = await restoreInto(w, job);
    expect(restored.run).toMatchObject({ status: 'succeeded' });
    expect(digests(await blobs(restored.target))).toEqual(digests(w.source));
  }, 120_000);

  it("counts the blob's size in the run's failed bytes when it fails between continuations, not the ciphertext size", async () => {
    const w = await world();
    const job = await createJob(w, { mode: 'rclone-crypt' });
    // The blob is deleted after its first chunk: the next continuation cannot read it.
    const { run } = await backUpInContinuations(w, job, async (n) => {
      if (n === 1) await w.container.getBlobClient('big/session.bin').delete();
    });
    expect(run.totals).toMatchObject({ failedFiles: 1, failedBytes: SIZES['big/session.bin'] });
  }, 120_000);
});

const MULTI_BLOCK = 'deep/er/multi block ünïcode.dat';

/** The drive's copy of MULTI_BLOCK after `job`'s backup: three 64 KiB cipher blocks and a tail. */
function multiBlockCopy(job: Job): ReturnType<GraphFixture['graph']['listFiles']>[number] {
  return fx.graph
    .listFiles(fx.driveId)
    .find(
      ({ path, content }) => path.includes(job.destinationFolder) && content.length === 32 + 3 * 65_552 + 21,
    )!;
}

/**
 * Restores `job` and checks that MULTI_BLOCK alone failed, with `code`, nothing of it written, and
 * the multi-chunk file restored byte for byte; answers the failure's reason.
 */
async function restoreFailingMultiBlock(w: World, job: Job, code: string): Promise<string> {
  const restored = await restoreInto(w, job);
  const failures = await w.backup.runs.failures(restored.run.id);
  expect(failures.map((f) => [f.blobName, f.code])).toEqual([[MULTI_BLOCK, code]]);
  const written = await blobs(restored.target);
  expect(written.has(MULTI_BLOCK)).toBe(false);
  expect(digests(written)['big/session.bin']).toBe(digests(w.source)['big/session.bin']);
  return failures[0].reason ?? '';
}

describe('an encrypted job restored with the wrong password or a changed byte', () => {
  it('fails those files with DecryptionFailed and writes nothing of them', async () => {
    const w = await world();
    const job = await createJob(w, { mode: 'rclone-crypt' });
    expect((await backUp(w, job)).status).toBe('succeeded');

    // One byte changed inside the second cipher block of the multi-block file.
    // The emulator hands out its own buffer: changing it changes what the drive holds.
    const victim = multiBlockCopy(job);
    victim.content[32 + 65_552 + 100] ^= 0x01;
    expect(await restoreFailingMultiBlock(w, job, 'DecryptionFailed')).toMatch(
      /Block 1 .*fails authentication/,
    );

    // Another password (as after a vault restored from the wrong copy): nothing opens.
    const names = cryptPasswordSecretNames(job.id);
    await w.secrets.setSecret(names.password, 'a different password entirely');
    w.restore = {
      ...w.restore,
      crypt: async (e) =>
        restoreCrypt(await new CryptKeyring(new CryptPasswordStore(w.secrets)).keys(e.jobId), e),
    };
    w.api = { ...w.api, restore: w.restore };
    const wrong = await restoreInto(w, job);
    const wrongFailures = await w.backup.runs.failures(wrong.run.id);
    // The empty file is the header alone: it has no block to authenticate.
    expect(wrongFailures).toHaveLength(w.source.size - 1);
    for (const f of wrongFailures) {
      expect(f.code).toBe('DecryptionFailed');
      expect(f.reason).toMatch(/does not open with this job's passwords/);
    }
    expect([...(await blobs(wrong.target)).keys()]).toEqual(['empty.bin']);
  }, 120_000);
});

describe('an encrypted file cut short in OneDrive', () => {
  it("is refused by a restore from the job: the drive's copy is not the one the backup wrote", async () => {
    // rclone's format authenticates each 64 KiB block, not how many there are: the first two
    // blocks of a three-block file decrypt cleanly on their own. Someone who can write to the drive
    // (no passwords needed) uploads them in place of the file, as any Graph client would.
    const w = await world();
    const job = await createJob(w, { mode: 'rclone-crypt' });
    expect((await backUp(w, job)).status).toBe('succeeded');
    const victim = multiBlockCopy(job);
    const cut = Buffer.from(victim.content.subarray(0, 32 + 2 * 65_552));
    const put = await fetch(`${fx.apiBaseUrl}/drives/${fx.driveId}/items/${victim.item.id}/content`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${fx.token}` },
      body: cut,
    });
    expect(put.status).toBe(200);
    expect(fx.graph.listFiles(fx.driveId).find((f) => f.item.id === victim.item.id)!.content.length).toBe(
      cut.length,
    );

    expect(await restoreFailingMultiBlock(w, job, 'HashMismatch')).toMatch(/not the one the backup wrote/);
  }, 120_000);
});

describe('job keys', () => {
  it('answers the passwords and an rclone config that names the folder, never cached', async () => {
    const w = await world();
    const job = await createJob(w, {
      mode: 'rclone-crypt',
      password: 'my own long password',
      password2: 'my salt',
    });
    const res = await jobsApi.encryptionKeys(w.admin, job.id);
    expect(res.status).toBe(200);
    expect(res.headers?.['cache-control']).toBe('no-store');
    const body = res.body as { password: string; password2: string; rcloneConfig: string; warning: string };
    expect(body).toMatchObject({ password: 'my own long password', password2: 'my salt' });
    expect(body.rcloneConfig).toContain(`remote = onedrive:${ROOT}/${job.destinationFolder}`);
    expect(body.rcloneConfig).toContain('filename_encryption = standard');
    expect(body.rcloneConfig).not.toContain('my own long password');
    expect(body.warning).toMatch(/Without them/);

    const plain = await createJobPlain(w);
    expect((await jobsApi.encryptionKeys(w.admin, plain.id)).status).toBe(409);
  });

  it('cannot change the encryption or the passwords of an existing job', async () => {
    const w = await world();
    const job = await createJob(w, { mode: 'rclone-crypt' });
    const patch = async (body: unknown) =>
      jobsApi.update(w.admin, job.id, {
        method: 'PATCH',
        url: `/api/jobs/${job.id}`,
        params: { id: job.id },
        query: new URLSearchParams(),
        headers: {},
        body: JSON.stringify(body),
      });
    expect((await patch({ encryption: { mode: 'off' } })).status).toBe(400);
    expect(
      (await patch({ encryption: { mode: 'rclone-crypt', password: 'another long password' } })).status,
    ).toBe(400);
    expect((await patch({ name: 'renamed' })).status).toBe(200);
  });
});

async function createJobPlain(w: World): Promise<Job> {
  const res = await jobsApi.create(w.admin, {
    method: 'POST',
    url: '/api/jobs',
    params: {},
    query: new URLSearchParams(),
    headers: {},
    body: JSON.stringify({
      name: 'plain',
      connectionId: 'conn-1',
      source: { container: w.container.containerName },
      destinationFolder: uniqueName('plain'),
      schedule: '0 0 2 * * *',
    }),
  });
  return res.body as Job;
}

/**
 * rclone's own decryption of what the drive holds: the stored files laid out in a directory, read
 * through a crypt remote over it with the job's passwords (obscured as rclone's config wants them).
 */
function rcloneDecrypts(
  stored: Map<string, Buffer>,
  encryption: Record<string, unknown>,
  password: string,
  password2: string,
): Map<string, Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'aob-rclone-'));
  try {
    const encrypted = join(dir, 'encrypted');
    const plain = join(dir, 'plain');
    for (const [path, bytes] of stored) {
      // The app's own folder is not a user file: rclone would copy the decrypted index too.
      mkdirSync(dirname(join(encrypted, path)), { recursive: true });
      writeFileSync(join(encrypted, path), bytes);
    }
    const env = {
      ...process.env,
      RCLONE_CONFIG: join(dir, 'none.conf'),
      RCLONE_CONFIG_SEALED_TYPE: 'crypt',
      RCLONE_CONFIG_SEALED_REMOTE: encrypted,
      RCLONE_CONFIG_SEALED_PASSWORD: obscure(password),
      RCLONE_CONFIG_SEALED_PASSWORD2: obscure(password2),
      RCLONE_CONFIG_SEALED_FILENAME_ENCRYPTION: String(encryption.filenameEncryption ?? 'standard'),
      RCLONE_CONFIG_SEALED_DIRECTORY_NAME_ENCRYPTION: String(encryption.directoryNameEncryption ?? true),
      RCLONE_CONFIG_SEALED_FILENAME_ENCODING: String(encryption.filenameEncoding ?? 'base32'),
    };
    execFileSync('rclone', ['copy', 'sealed:', plain, '--exclude', '.azure-onedrive-backup/**'], {
      env,
      stdio: 'pipe',
    });
    const out = new Map<string, Buffer>();
    const walk = (at: string, prefix: string): void => {
      for (const entry of readdirSync(at, { withFileTypes: true })) {
        const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
        if (entry.isDirectory()) walk(join(at, entry.name), rel);
        else out.set(rel, readFileSync(join(at, entry.name)));
      }
    };
    walk(plain, '');
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
