// The blob endpoint policy of local mode (Azurite's loopback endpoint and any account of the global
// suffix), for tests that build the admin or restore API deps by hand.
import type { BlobEndpointPolicy } from '../../src/sources/endpointPolicy';

export const LOCAL_BLOB_ENDPOINTS: BlobEndpointPolicy = {
  mode: 'local',
  blobSuffix: 'blob.core.windows.net',
  accounts: [],
};
