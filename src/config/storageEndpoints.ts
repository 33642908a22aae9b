// The state storage account's endpoints in the configured cloud. The storage DNS suffix differs per
// national cloud (Bicep's environment().suffixes.storage gives the same values), so an account name
// alone is turned into URLs with the suffix of GRAPH_CLOUD, never a fixed core.windows.net.
import type { GraphCloud } from './load';

export const STORAGE_SUFFIXES: Readonly<Record<GraphCloud, string>> = {
  global: 'core.windows.net',
  usgov: 'core.usgovcloudapi.net',
  'usgov-dod': 'core.usgovcloudapi.net',
  china: 'core.chinacloudapi.cn',
};

export interface StorageServiceUrls {
  blobUrl: string;
  queueUrl: string;
  tableUrl: string;
}

export function storageServiceUrls(accountName: string, cloud: GraphCloud): StorageServiceUrls {
  const suffix = STORAGE_SUFFIXES[cloud];
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
