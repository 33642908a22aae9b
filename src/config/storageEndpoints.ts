// The state storage account's endpoints in the configured cloud. The storage DNS suffix differs per
// national cloud (Bicep's environment().suffixes.storage gives the same values), so an account name
// alone is turned into URLs with the suffix of GRAPH_CLOUD, never a fixed core.windows.net.
import { CLOUDS } from './clouds';
import type { GraphCloud } from './load';

export interface StorageServiceUrls {
  blobUrl: string;
  queueUrl: string;
  tableUrl: string;
}

export function storageServiceUrls(accountName: string, cloud: GraphCloud): StorageServiceUrls {
  const suffix = CLOUDS[cloud].storageSuffix;
  return {
    blobUrl: `https://${accountName}.blob.${suffix}`,
    queueUrl: `https://${accountName}.queue.${suffix}`,
    tableUrl: `https://${accountName}.table.${suffix}`,
  };
}

/** The account name of a service URI (`https://<account>.blob.<suffix>/`). */
export function accountOfServiceUri(uri: string): string {
  return new URL(uri).hostname.split('.')[0];
}
