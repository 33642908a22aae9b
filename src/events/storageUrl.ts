// Which storage account a blob URL addresses, for a job's blob endpoint and an event's data.url
// alike, so the two are always read the same way. Two spellings exist:
//   virtual-host style  https://{account}.blob.core.windows.net/{container}/{blob}  (every Azure
//                       cloud; `dfs` for the events of a hierarchical-namespace account)
//   path style          http://127.0.0.1:10000/{account}/{container}/{blob}  (Azurite and other
//                       emulators: an IP address, IPv6 such as [::1], localhost, or an emulator port)
// The path-style rule is the storage SDK's own (@azure/storage-blob isIpEndpointStyle, which it does
// not export): it is how the SDK addresses the account of such an endpoint, so the account read here
// is the one the source client talks to. Anything else is refused with the reason.

export type StorageUrl =
  | {
      ok: true;
      /** Lowercase account name. */
      account: string;
      /** The URL's path after the account (still percent-encoded): `/container/blob`, or ''. */
      path: string;
    }
  | { ok: false; reason: string };

const ACCOUNT = /^[a-z0-9]{3,24}$/;
const SERVICE_LABELS = new Set(['blob', 'dfs']);
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const NAMED_PATH_STYLE_HOSTS = new Set(['localhost', 'host.docker.internal']);
/** Azurite's (and the Azure Storage emulator's) service ports: path style whatever the host. */
// prettier-ignore
const PATH_STYLE_PORTS = new Set([
  '10000', '10001', '10002', '10003', '10004', '10100', '10101', '10102', '10103', '10104',
  '11000', '11001', '11002', '11003', '11004', '11100', '11101', '11102', '11103', '11104',
]);

const withoutRoot = (path: string): string => (path === '/' ? '' : path);

/** True when the URL names its account in the path (an emulator), as the storage SDK decides it. */
function isPathStyle(url: URL): boolean {
  // WHATWG URL keeps IPv6 hosts in brackets and has already normalized IPv4 spellings.
  const host = url.hostname;
  return (
    host.startsWith('[') ||
    IPV4.test(host) ||
    NAMED_PATH_STYLE_HOSTS.has(host) ||
    PATH_STYLE_PORTS.has(url.port)
  );
}

export function parseStorageUrl(raw: string): StorageUrl {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'it is not a URL' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return { ok: false, reason: 'it is not an http(s) URL' };
  const labels = url.hostname.toLowerCase().split('.');
  // Checked first, as the SDK does: Azurite's production-style hosts (account.blob.localhost:10000)
  // name the account in the host although the port is an emulator's.
  if (labels.length >= 3 && SERVICE_LABELS.has(labels[1])) {
    if (!ACCOUNT.test(labels[0]))
      return { ok: false, reason: `${url.hostname} names no valid storage account` };
    return { ok: true, account: labels[0], path: withoutRoot(url.pathname) };
  }
  if (isPathStyle(url)) {
    const segment = url.pathname.split('/')[1] ?? '';
    const account = segment.toLowerCase();
    if (!ACCOUNT.test(account))
      return { ok: false, reason: `the path after ${url.host} names no valid storage account` };
    return { ok: true, account, path: withoutRoot(url.pathname.slice(1 + segment.length)) };
  }
  return {
    ok: false,
    reason: `${url.hostname} is neither a storage account's blob host nor an emulator's (path-style) host`,
  };
}
