// Which blob endpoints may receive the managed identity's storage token. A job's source or a
// restore's target names an endpoint, and the storage SDK sends a bearer token to whatever it names,
// so an endpoint an admin-key holder typed must not be trusted as is: it must be a blob endpoint of
// the configured cloud, over https, of an account the operator listed (SOURCE_STORAGE_ACCOUNTS).
// Locally Azurite's loopback address is allowed too. Checked when a job or restore is created and
// again just before a client with a credential is built, so a row written earlier cannot bypass it.
import { CLOUDS, type CloudName } from '../config/clouds';
import type { Config } from '../config';
import { AppError } from '../errors';

export interface BlobEndpointPolicy {
  mode: 'azure' | 'local';
  /** `blob.core.windows.net` and the like: the configured cloud's blob host suffix. */
  blobSuffix: string;
  /** Accounts the operator allowed (lowercase). In Azure an empty list allows none; locally any. */
  accounts: readonly string[];
}

export function blobEndpointPolicy(
  config: Pick<Config, 'mode' | 'graphCloud' | 'sourceStorageAccounts'>,
): BlobEndpointPolicy {
  return {
    mode: config.mode,
    blobSuffix: `blob.${CLOUDS[config.graphCloud as CloudName].storageSuffix}`,
    accounts: config.sourceStorageAccounts,
  };
}

const ACCOUNT = /^[a-z0-9]{3,24}$/;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

function refuse(field: string, problem: string, advice?: string): AppError {
  return new AppError('ValidationFailed', `${field}: ${problem}`, { field, advice });
}

/**
 * The endpoint normalized (`https://<account>.<suffix>`, no trailing slash), or ValidationFailed
 * naming `field`. The rejected value is echoed only as its host, never with a path or query.
 */
export function checkBlobEndpoint(value: unknown, policy: BlobEndpointPolicy, field: string): string {
  const rule = `must be https://<account>.${policy.blobSuffix}${policy.mode === 'local' ? ' (or Azurite on this machine)' : ''}`;
  if (typeof value !== 'string' || value.length > 500) throw refuse(field, rule);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw refuse(field, rule);
  }
  if (url.username || url.password || url.search || url.hash)
    throw refuse(field, `${rule}, without user info, query or fragment`);
  if (policy.mode === 'local' && LOOPBACK.has(url.hostname)) {
    // Azurite: http or https on this machine, with its account in the path (/devstoreaccount1).
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refuse(field, rule);
    return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
  }
  if (url.protocol !== 'https:') throw refuse(field, `${rule}: https only`);
  if (url.port && url.port !== '443') throw refuse(field, `${rule}: no other port`);
  if (url.pathname !== '/') throw refuse(field, `${rule}: the account's endpoint, without a path`);
  const host = url.hostname;
  const suffix = `.${policy.blobSuffix}`;
  const account = host.endsWith(suffix) ? host.slice(0, -suffix.length) : '';
  if (!ACCOUNT.test(account)) throw refuse(field, `${rule}: ${host} is not such an endpoint`);
  const listed = policy.accounts.includes(account);
  if (!listed && (policy.mode === 'azure' || policy.accounts.length > 0))
    throw refuse(
      field,
      `the storage account ${account} is not one this app may use`,
      policy.accounts.length === 0
        ? 'Set SOURCE_STORAGE_ACCOUNTS to the storage accounts jobs and restores may name.'
        : `Allowed: ${policy.accounts.join(', ')}. Add the account to SOURCE_STORAGE_ACCOUNTS (and grant the identity its role) to use it.`,
    );
  return `https://${host}`;
}
