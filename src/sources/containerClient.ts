// Builds the storage SDK's ContainerClient for a source: Azurite or a storage account by
// connection string (local development, tests), or an endpoint with a TokenCredential (managed
// identity in Azure: the storage account refuses shared keys there).

import type { TokenCredential } from '@azure/identity';
import { BlobServiceClient, type ContainerClient, type StoragePipelineOptions } from '@azure/storage-blob';
import { AppError } from '../errors';
import { checkBlobEndpoint, type BlobEndpointPolicy } from './endpointPolicy';

export interface SourceConnection {
  /** e.g. https://account.blob.core.windows.net, used with `credential`. */
  blobEndpoint?: string;
  connectionString?: string;
  credential?: TokenCredential;
  /** Which endpoints may receive the credential's token; required with `credential`. */
  endpointPolicy?: BlobEndpointPolicy;
  container: string;
}

// The SDK retries transient failures itself; these bounds keep one invocation's time budget
// predictable (a stuck read fails within minutes, and the queue redelivers the task).
export const SOURCE_RETRY = {
  maxTries: 4,
  tryTimeoutInMs: 120_000,
  retryDelayInMs: 500,
  maxRetryDelayInMs: 10_000,
};
const PIPELINE: StoragePipelineOptions = { retryOptions: SOURCE_RETRY };

export function createContainerClient(connection: SourceConnection): ContainerClient {
  if (!connection.container)
    throw new AppError('ValidationFailed', 'source.container: a container name is required', {
      field: 'source.container',
    });
  return createServiceClient(connection).getContainerClient(connection.container);
}

/** The account's client (the source's containers are listed with it). */
export function createServiceClient(connection: Omit<SourceConnection, 'container'>): BlobServiceClient {
  if (connection.connectionString) {
    // Azurite's well-known account is reached over http with a shared key, which the storage
    // SDK allows without further options.
    return BlobServiceClient.fromConnectionString(connection.connectionString, PIPELINE);
  }
  if (connection.blobEndpoint && connection.credential) {
    // The last check before a token can leave: whatever row or message named this endpoint, the
    // SDK gets only one the policy allows, and no credential goes anywhere without a policy.
    if (!connection.endpointPolicy)
      throw new AppError('ConfigInvalid', 'A blob endpoint with a credential needs an endpoint policy.');
    const endpoint = checkBlobEndpoint(connection.blobEndpoint, connection.endpointPolicy, 'blobEndpoint');
    return new BlobServiceClient(endpoint, connection.credential, PIPELINE);
  }
  throw new AppError(
    'ConfigInvalid',
    'The blob source needs either a connection string, or a blob endpoint and a credential (managed identity).',
    {
      field: 'source.blobEndpoint',
      advice: 'Set the storage account blob endpoint, e.g. https://<account>.blob.core.windows.net.',
    },
  );
}

/** The names of the account's containers, at most `limit` of them, in the service's order. */
export async function listContainerNames(
  connection: Omit<SourceConnection, 'container'>,
  limit = 500,
): Promise<string[]> {
  const names: string[] = [];
  for await (const container of createServiceClient(connection).listContainers()) {
    names.push(container.name);
    if (names.length >= limit) break;
  }
  return names;
}
