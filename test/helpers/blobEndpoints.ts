// The blob endpoint policy of local mode (Azurite's loopback endpoint and any account of the global
// suffix), for tests that build the admin or restore API deps by hand, and the admin deps built so.
import type { AdminDeps } from '../../src/backup/admin';
import type { BackupDeps } from '../../src/backup/deps';
import type { BlobEndpointPolicy } from '../../src/sources/endpointPolicy';

export const LOCAL_BLOB_ENDPOINTS: BlobEndpointPolicy = {
  mode: 'local',
  blobSuffix: 'blob.core.windows.net',
  accounts: [],
};

/** The jobs API's deps for a test: its backup deps, the one connection that exists, local mode's endpoints. */
export function localAdmin(backup: BackupDeps, connectionId = 'conn-1'): AdminDeps {
  return { backup, connectionExists: async (id) => id === connectionId, blobEndpoints: LOCAL_BLOB_ENDPOINTS };
}
