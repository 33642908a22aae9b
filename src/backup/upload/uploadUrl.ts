// Upload URLs are pre-authenticated capabilities that travel in queue messages. Before the worker
// sends a byte (or a GET) to one taken from a message, it checks the URL is https on a host the
// configured cloud uses for uploads, so a tampered message cannot turn the worker into a proxy
// towards internal addresses (SSRF) or a leak of blob content.
import { createHash } from 'node:crypto';
import { AppError } from '../../errors';

/** Upload hosts per national cloud, as observed for OneDrive personal and SharePoint/OneDrive for Business. */
export const UPLOAD_HOSTS_BY_CLOUD: Record<string, readonly string[]> = {
  global: [
    '*.sharepoint.com',
    '*.onedrive.com',
    '*.1drv.com',
    '*.microsoftpersonalcontent.com',
    '*.live.net',
  ],
  usgov: ['*.sharepoint.us'],
  'usgov-dod': ['*.sharepoint-mil.us', '*.sharepoint.us'],
  china: ['*.sharepoint.cn'],
};

/**
 * `patterns` are exact names, `*.suffix` wildcards, or `name:port` (the emulator locally: another
 * service on the same host name but a different port must not receive our bytes).
 */
export function hostAllowed(host: string, patterns: readonly string[], port = '443'): boolean {
  const name = host.toLowerCase().replace(/^\[|\]$/g, '');
  return patterns.some((raw) => {
    const pattern = raw.toLowerCase();
    if (/:\d+$/.test(pattern)) return `${name}:${port}` === pattern;
    // Microsoft's upload hosts serve https on its default port only.
    if (pattern.startsWith('*.'))
      return port === '443' && name.endsWith(pattern.slice(1)) && name.length > pattern.length - 1;
    return name === pattern;
  });
}

/** Throws MessageInvalid unless `raw` is an https URL on an allowed host without credentials. */
export function assertUploadUrl(raw: string, patterns: readonly string[]): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AppError('MessageInvalid', 'The upload URL in the message is not a URL.');
  }
  if (
    url.protocol !== 'https:' ||
    url.username ||
    url.password ||
    !hostAllowed(url.hostname, patterns, url.port || '443')
  ) {
    // The URL itself is a capability: name only its host in the error.
    throw new AppError(
      'MessageInvalid',
      `The upload URL points at a host that is not an upload host: ${url.hostname}`,
      {
        advice:
          'The message was altered or the cloud setting is wrong; the file will be uploaded again from a new session.',
      },
    );
  }
  return url;
}

/**
 * What the run's file row keeps of the upload session the worker created: a SHA-256 of its URL,
 * never the URL (a capability: whoever reads the table could upload into the session). A
 * continuation is accepted only when its URL hashes to this, which ties it to our own session
 * where the host allow-list alone would accept any session on any tenant's *.sharepoint.com.
 */
export function sessionUrlHash(uploadUrl: string): string {
  return createHash('sha256').update(uploadUrl, 'utf8').digest('base64url');
}
