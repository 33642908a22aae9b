// Where an alert webhook may point, and the one way alerts are posted to it. A webhook URL is chosen
// by a function-key holder, and the function app sits inside the operator's network, so it must not
// become a way to reach the metadata endpoint, the platform's address, or a private service: https
// only, and every address the host resolves to must be public (loopback, and plain http to it, only
// in local mode, for tests). The URL is checked when it is stored, and the addresses again when an
// alert is sent: the post connects to the very addresses it checked (its own DNS lookup), so a name
// that resolves to a public address when stored and to a private one later (DNS rebinding) is refused.
import type { LookupFunction } from 'node:net';
import { lookup as dnsLookup } from 'node:dns/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import { validationError } from '../errors';
import { addressProblem, bareHost, isAllowedAddress } from '../http/publicAddress';
import type { HttpPost } from './notifier';

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Host name → every address it resolves to. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export interface WebhookNetworkPolicy {
  /** Local mode: loopback addresses (and plain http to them) are allowed, for tests. */
  allowLoopback: boolean;
  /** DNS; the system resolver unless a test injects one. */
  resolve?: Resolver;
}

export const STRICT_WEBHOOK_POLICY: WebhookNetworkPolicy = { allowLoopback: false };

const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

const ADD_TIME_LOOKUP_MS = 5_000;

/** Raised when a webhook's host is not one alerts may be sent to; the notifier logs only its name. */
export class WebhookAddressRefused extends Error {
  constructor() {
    super('The webhook host resolves to an address alerts may not be sent to.');
    this.name = 'WebhookAddressRefused';
  }
}

function isLoopbackName(hostname: string): boolean {
  return hostname === 'localhost' || hostname.endsWith('.localhost');
}

/** Loopback, not public, or a name (resolved later), for the host a URL names. */
function literalProblem(hostname: string): 'loopback' | 'not-public' | 'name' | undefined {
  if (isLoopbackName(hostname)) return 'loopback';
  const problem = addressProblem(hostname);
  return problem === 'not-an-ip' ? 'name' : problem;
}

/**
 * The URL normalized, or ValidationFailed on `url`. Checks what the URL itself says: the scheme,
 * and a literal IP address or a loopback name; a host name's addresses are checked by
 * checkWebhookHost and at each send. The rejected value is never echoed: it may be a real webhook
 * URL (a credential) with a typo.
 */
export function checkWebhookUrl(
  value: unknown,
  policy: WebhookNetworkPolicy = STRICT_WEBHOOK_POLICY,
): string {
  if (typeof value !== 'string' || !value.trim()) throw validationError('url', 'required');
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw validationError('url', 'must be an absolute https URL');
  }
  const problem = literalProblem(bareHost(url.hostname));
  const localLoopback = problem === 'loopback' && policy.allowLoopback;
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && localLoopback))
    throw validationError('url', 'must be an https URL');
  if (problem === 'loopback' && !localLoopback)
    throw validationError('url', 'must not point at this machine (loopback)');
  if (problem === 'not-public')
    throw validationError('url', 'must not point at a private, link-local or reserved address');
  return url.toString();
}

function allowed(addresses: ResolvedAddress[], policy: WebhookNetworkPolicy): boolean {
  return addresses.length > 0 && addresses.every((a) => isAllowedAddress(a.address, policy));
}

/**
 * When the URL is stored: ValidationFailed if its host name resolves to an address alerts may not
 * reach. A name that does not resolve now (or not within seconds) is accepted: the check at send
 * time is the one that holds, and it refuses whatever the name resolves to then.
 */
export async function checkWebhookHost(url: string, policy: WebhookNetworkPolicy): Promise<void> {
  const host = bareHost(new URL(url).hostname);
  if (literalProblem(host) !== 'name') return;
  const resolve = policy.resolve ?? systemResolver;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const addresses = await Promise.race([
    resolve(host).catch(() => undefined),
    new Promise<undefined>((done) => {
      timer = setTimeout(() => done(undefined), ADD_TIME_LOOKUP_MS);
    }),
  ]).finally(() => clearTimeout(timer));
  if (addresses && addresses.length > 0 && !allowed(addresses, policy))
    throw validationError('url', 'resolves to a private, loopback or link-local address');
}

/**
 * Posts JSON to a webhook, connecting only to addresses it resolved and checked itself. No redirect
 * is followed, no connection reused (each request looks the name up again).
 */
export function webhookPost(policy: WebhookNetworkPolicy): HttpPost {
  const resolve = policy.resolve ?? systemResolver;
  const lookup: LookupFunction = (hostname, options, callback) => {
    resolve(hostname).then(
      (addresses) => {
        if (!allowed(addresses, policy)) return callback(new WebhookAddressRefused(), '', 0);
        if (options.all) return callback(null, addresses);
        return callback(null, addresses[0].address, addresses[0].family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
  return (url, body, timeoutMs) =>
    new Promise((resolveStatus, reject) => {
      let target: URL;
      try {
        // Again at send time: the stored URL may predate these rules.
        target = new URL(checkWebhookUrl(url, policy));
      } catch {
        return reject(new WebhookAddressRefused());
      }
      const request = (target.protocol === 'https:' ? https : http).request(
        target,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          agent: false,
          lookup,
          signal: AbortSignal.timeout(timeoutMs),
        },
        (response) => {
          response.resume();
          response.on('end', () => resolveStatus({ status: response.statusCode ?? 0 }));
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(body);
    });
}
