// The services container: SDK clients built once, lazily, from the validated Config. The app's root
// (./root.ts) builds one and every area's dependencies over it; nothing reaches it globally.
import { setUserAgentPublisher } from '../graph/userAgent';
import { TableClient } from '@azure/data-tables';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { QueueClient } from '@azure/storage-queue';
import type { Config } from '../config';
import { createLogger, type Logger } from '../log/logger';
import { ALL_QUEUES, encodeQueueMessage, poisonQueueName } from './queues';

export interface Services {
  readonly config: Config;
  readonly log: Logger;
  /** Credential for Azure resources reached with managed identity (storage by account name, Key Vault, sources). */
  credential(): TokenCredential;
  /** A client for the table, which exists by the time the promise resolves. */
  table(name: string): Promise<TableClient>;
  /** A client for the queue, which exists (with its -poison twin) by the time the promise resolves. */
  queue(name: string): Promise<QueueClient>;
  /** Sends a JSON message, base64-encoded as the Functions queue trigger expects. */
  sendMessage(
    queue: string,
    message: unknown,
    options?: { visibilityTimeoutSeconds?: number },
  ): Promise<void>;
  /** Creates every queue the app uses; the local host calls it at start. */
  ensureQueues(): Promise<void>;
}

export function createServices(config: Config, log: Logger = createLogger()): Services {
  // Every Graph request of the process carries the configured publisher (../graph/userAgent.ts).
  setUserAgentPublisher(config.userAgentPublisher);
  let credential: TokenCredential | undefined;
  const tables = new Map<string, Promise<TableClient>>();
  const queues = new Map<string, Promise<QueueClient>>();
  const storage = config.storage;

  const getCredential = (): TokenCredential => {
    const clientId = storage.kind === 'identity' ? storage.clientId : config.managedIdentityClientId;
    // DefaultAzureCredential: managed identity in Azure, a developer's az/azd login elsewhere.
    credential ??= new DefaultAzureCredential(clientId ? { managedIdentityClientId: clientId } : {});
    return credential;
  };

  const tableClient = (name: string): TableClient =>
    storage.kind === 'connectionString'
      ? TableClient.fromConnectionString(storage.connectionString, name, {
          allowInsecureConnection: storage.emulated,
        })
      : new TableClient(storage.tableUrl, name, getCredential());

  const queueClient = (name: string): QueueClient =>
    storage.kind === 'connectionString'
      ? new QueueClient(storage.connectionString, name)
      : new QueueClient(`${storage.queueUrl}/${name}`, getCredential());

  // Memoized so concurrent first uses share one create call; a failed create is forgotten so the
  // next use retries instead of caching the failure.
  const memo = <T>(cache: Map<string, Promise<T>>, name: string, create: () => Promise<T>): Promise<T> => {
    let entry = cache.get(name);
    if (!entry) {
      entry = create().catch((error: unknown) => {
        cache.delete(name);
        throw error;
      });
      cache.set(name, entry);
    }
    return entry;
  };

  const services: Services = {
    config,
    log,
    credential: getCredential,
    table: (name) =>
      memo(tables, name, async () => {
        const client = tableClient(name);
        await client.createTable();
        return client;
      }),
    queue: (name) =>
      memo(queues, name, async () => {
        const client = queueClient(name);
        const names = name.endsWith('-poison') ? [name] : [name, poisonQueueName(name)];
        await Promise.all(names.map((n) => queueClient(n).createIfNotExists()));
        return client;
      }),
    sendMessage: async (queue, message, options = {}) => {
      const client = await services.queue(queue);
      await client.sendMessage(encodeQueueMessage(message), {
        visibilityTimeout: options.visibilityTimeoutSeconds,
      });
    },
    ensureQueues: async () => {
      await Promise.all(ALL_QUEUES.map((q) => services.queue(q)));
    },
  };
  return services;
}
