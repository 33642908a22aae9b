// Whether an IP address is one a request to a user-supplied URL may reach. Anything that is not a
// public unicast address is refused: loopback, private and shared (CGNAT) ranges, link-local (the
// metadata endpoint 169.254.169.254), unique-local and site-local IPv6, multicast, reserved and
// documentation ranges, Azure's platform address 168.63.129.16, and the IPv6 forms that carry an
// IPv4 address inside (IPv4-mapped addresses match the IPv4 rules; NAT64, 6to4 and Teredo are
// refused whole, since what they embed could be private).
import { BlockList, isIP } from 'node:net';

export type AddressProblem = 'loopback' | 'not-public' | 'not-an-ip';

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

const notPublic = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
  ['168.63.129.16', 32],
] as const)
  notPublic.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 96], // unspecified and the deprecated IPv4-compatible form
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 32],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const)
  notPublic.addSubnet(net, prefix, 'ipv6');

/** Brackets of a URL's IPv6 host removed. */
export function bareHost(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/** undefined when `address` is a public unicast IP; else why not. */
export function addressProblem(address: string): AddressProblem | undefined {
  const ip = bareHost(address);
  const version = isIP(ip);
  if (version === 0) return 'not-an-ip';
  const type = version === 4 ? 'ipv4' : 'ipv6';
  if (loopback.check(ip, type)) return 'loopback';
  if (notPublic.check(ip, type)) return 'not-public';
  return undefined;
}

/** Whether a request may go to `address`: public always, loopback only when allowed (local mode). */
export function isAllowedAddress(address: string, options: { allowLoopback: boolean }): boolean {
  const problem = addressProblem(address);
  return problem === undefined || (problem === 'loopback' && options.allowLoopback);
}
