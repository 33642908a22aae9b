// One Azurite for the whole run; each test uses its own tables, queues and containers.
import { startAzurite } from '../../emulators/azurite';

export default async function globalSetup(): Promise<void> {
  const azurite = await startAzurite();
  (globalThis as Record<string, unknown>).__AZURITE__ = azurite;
  process.env.TEST_AZURITE_CONNECTION_STRING = azurite.connectionString;
  process.env.TEST_AZURITE_BLOB_URL = azurite.blobUrl;
  process.env.TEST_AZURITE_QUEUE_URL = azurite.queueUrl;
  process.env.TEST_AZURITE_TABLE_URL = azurite.tableUrl;
}
