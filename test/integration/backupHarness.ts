// Shared fixtures for the backup integration tests: a Graph emulator with a signed-in drive, an
// Azurite container with blobs built from a seed, and the upload engine's options with a clock
// that records waits instead of sleeping.
import { randomBytes } from 'node:crypto';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { GraphEmulator } from '../../emulators/graph';
import { testAuthorize, type TestToken } from '../../emulators/graph/testing';
import { ManualClock } from '../../src/backup/upload/clock';
import { quickXorAlgorithm } from '../../src/backup/upload/quickXor';
import { DEFAULT_RETRY_POLICY } from '../../src/backup/upload/retryPolicy';
import type { AccessTokenProvider, UploadOptions } from '../../src/backup/upload/types';
import { createLogger } from '../../src/log/logger';
import { azuriteConnectionString, uniqueName } from '../helpers/azurite';

export const MiB = 1024 * 1024;
export const UNIT = 327_680;

export interface GraphFixture {
  graph: GraphEmulator;
  driveId: string;
  apiBaseUrl: string;
  token: TestToken;
  tokenCalls: Array<{ forceRefresh: boolean }>;
  tokens: AccessTokenProvider;
}

export async function startGraph(token: TestToken = 'personal'): Promise<GraphFixture> {
  const graph = await new GraphEmulator({ authorize: testAuthorize }).start();
  const apiBaseUrl = `${graph.baseUrl}/v1.0`;
  const response = await fetch(`${apiBaseUrl}/me/drive`, { headers: { authorization: `Bearer ${token}` } });
  const drive = (await response.json()) as { id: string };
  const tokenCalls: Array<{ forceRefresh: boolean }> = [];
  return {
    graph,
    driveId: drive.id,
    apiBaseUrl,
    token,
    tokenCalls,
    tokens: async (options) => {
      tokenCalls.push(options);
      return token;
    },
  };
}

export async function newContainer(): Promise<ContainerClient> {
  const container = BlobServiceClient.fromConnectionString(azuriteConnectionString()).getContainerClient(
    uniqueName('src'),
  );
  await container.create();
  return container;
}

/** Random content: every test compares against the exact bytes it wrote. */
export function content(size: number): Buffer {
  return randomBytes(size);
}

export async function putBlob(container: ContainerClient, name: string, data: Buffer): Promise<string> {
  const result = await container.getBlockBlobClient(name).uploadData(data);
  return result.etag!;
}

export function uploadOptions(
  overrides: Partial<UploadOptions> = {},
): UploadOptions & { clock: ManualClock } {
  const clock = new ManualClock(Date.now());
  return {
    chunkBytes: 10 * MiB,
    simpleUploadMaxBytes: 4 * MiB,
    deadline: Number.MAX_SAFE_INTEGER,
    allowedUploadHosts: ['127.0.0.1'],
    retry: { ...DEFAULT_RETRY_POLICY, random: () => 0.5 },
    hash: quickXorAlgorithm,
    log: createLogger({ test: 'upload' }),
    requestTimeoutMs: 60_000,
    ...overrides,
    clock: (overrides.clock as ManualClock | undefined) ?? clock,
  };
}

export function randomName(ext = 'bin'): string {
  return `file-${randomBytes(4).toString('hex')}.${ext}`;
}
