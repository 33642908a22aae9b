// The upload engine's last check, against the Graph emulator: when the drive answers an upload
// with a driveItem whose quickXorHash or size is not the source's, the file fails with
// HashMismatch (logged at error level) rather than counting as backed up. The emulator's fault
// injection stands in for the drive: it answers the final PUT with 201 and the driveItem given.
import type { ContainerClient } from '@azure/storage-blob';
import { uploadFile } from '../../src/backup/upload';
import type { UploadRequest } from '../../src/backup/upload/types';
import { QuickXorHash } from '../../src/graph/quickXorHash';
import { setLogSink, type LogSink } from '../../src/log/logger';
import { createBlobSource } from '../../src/sources/blobSource';
import { azuriteConnectionString } from '../helpers/azurite';
import {
  content,
  MiB,
  newContainer,
  putBlob,
  randomName,
  startGraph,
  UNIT,
  uploadOptions,
  type GraphFixture,
} from './backupHarness';

let fx: GraphFixture;
let container: ContainerClient;
const logLines: string[] = [];
let previousSink: LogSink;

beforeAll(async () => {
  previousSink = setLogSink((line) => logLines.push(line));
  fx = await startGraph('personal');
  container = await newContainer();
});
afterAll(async () => {
  setLogSink(previousSink);
  await fx.graph.stop();
});
afterEach(() => {
  fx.graph.server.faults.clear();
  logLines.length = 0;
});

async function prepare(size: number): Promise<{ data: Buffer; request: UploadRequest }> {
  const name = randomName();
  const data = content(size);
  const etag = await putBlob(container, name, data);
  const source = createBlobSource({
    connectionString: azuriteConnectionString(),
    container: container.containerName,
  });
  return {
    data,
    request: {
      target: { apiBaseUrl: fx.apiBaseUrl, driveId: fx.driveId, encodedPath: `Verify/${name}` },
      size,
      read: (offset, count) => source.readRange(name, offset, count, etag),
      tokens: fx.tokens,
    },
  };
}

/** A driveItem as Graph returns it when an upload completes. */
function driveItem(size: number, quickXorHash: string): Record<string, unknown> {
  return { id: 'ITEM-FROM-FAULT', name: 'file.bin', size, file: { hashes: { quickXorHash } } };
}

/** The hash of other bytes of the same length: what a drive holding a damaged copy reports. */
function otherHash(data: Buffer): string {
  const damaged = Buffer.from(data);
  damaged[0] ^= 0xff;
  return QuickXorHash.of(damaged);
}

/** The faults' tally runs across tests, so each test counts from where it started. */
const injectedAnswers = (): number => fx.graph.server.faults.injected['status 201'] ?? 0;

const verifyFailures = (): number => logLines.filter((l) => l.includes('upload.verify.failed')).length;

describe('an upload the drive reports back differently', () => {
  it('fails a simple upload whose returned quickXorHash differs', async () => {
    const { data, request } = await prepare(1000);
    const before = injectedAnswers();
    fx.graph.server.faults.add({
      kind: 'status',
      status: 201,
      method: 'PUT',
      path: ':/content$',
      body: driveItem(data.length, otherHash(data)),
    });
    await expect(uploadFile(request, uploadOptions())).rejects.toMatchObject({
      code: 'HashMismatch',
      message: expect.stringMatching(/quickXorHash differs/),
    });
    expect(injectedAnswers() - before).toBe(1);
    expect(verifyFailures()).toBe(1);
  });

  it('fails a session upload whose final chunk answer carries a different quickXorHash', async () => {
    const { data, request } = await prepare(4 * MiB + 1);
    const before = injectedAnswers();
    // One chunk: the only PUT to the upload host is the last, which returns the driveItem.
    fx.graph.server.faults.add({
      kind: 'status',
      status: 201,
      method: 'PUT',
      host: '127.0.0.1',
      body: driveItem(data.length, otherHash(data)),
    });
    await expect(uploadFile(request, uploadOptions({ chunkBytes: 16 * UNIT }))).rejects.toMatchObject({
      code: 'HashMismatch',
    });
    expect(injectedAnswers() - before).toBe(1);
    expect(verifyFailures()).toBe(1);
  });

  it('fails an upload whose returned size differs, even with the right quickXorHash', async () => {
    const { data, request } = await prepare(1000);
    fx.graph.server.faults.add({
      kind: 'status',
      status: 201,
      method: 'PUT',
      path: ':/content$',
      body: driveItem(data.length + 1, QuickXorHash.of(data)),
    });
    await expect(uploadFile(request, uploadOptions())).rejects.toMatchObject({
      code: 'HashMismatch',
      message: expect.stringMatching(/1001 bytes; the source has 1000/),
    });
    expect(verifyFailures()).toBe(1);
  });

  it('accepts the same answer when size and quickXorHash are the source’s', async () => {
    const { data, request } = await prepare(1000);
    fx.graph.server.faults.add({
      kind: 'status',
      status: 201,
      method: 'PUT',
      path: ':/content$',
      body: driveItem(data.length, QuickXorHash.of(data)),
    });
    const outcome = await uploadFile(request, uploadOptions());
    expect(outcome).toMatchObject({ status: 'completed', item: { id: 'ITEM-FROM-FAULT', size: 1000 } });
    expect(verifyFailures()).toBe(0);
  });
});
