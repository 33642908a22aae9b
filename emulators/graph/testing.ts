// Test fixtures for the Graph emulator: fixed tokens mapped to principals, a controllable clock,
// and a real Graph SDK client pointed at the emulator. Shared by this emulator's tests and by any
// integration test that needs a drive.
import { Client } from '@microsoft/microsoft-graph-client';
import type { Principal } from '../shared/principal';
import { GraphEmulator, type GraphEmulatorOptions } from './index';

const base = {
  tenantId: '72f988bf-0000-0000-0000-000000000000',
  appId: '11111111-2222-3333-4444-555555555555',
  audience: 'https://graph.microsoft.com',
  expiresAt: Number.MAX_SAFE_INTEGER,
};

/** Tokens tests send, and who each one is. */
export const TEST_PRINCIPALS = {
  personal: {
    ...base,
    tenantId: '9188040d-6c67-4c5b-b112-36a304b66dad',
    oid: '00000000-0000-0000-aaaa-000000000001',
    appOnly: false,
    accountType: 'personal',
    scopes: ['Files.ReadWrite.All', 'User.Read', 'offline_access'],
    upn: 'pat@outlook.com',
    displayName: 'Pat Personal',
  },
  work: {
    ...base,
    oid: '00000000-0000-0000-bbbb-000000000002',
    appOnly: false,
    accountType: 'work',
    scopes: ['Files.ReadWrite.All', 'Sites.Read.All', 'User.Read', 'offline_access'],
    upn: 'wes@contoso.com',
    displayName: 'Wes Work',
  },
  workReadOnly: {
    ...base,
    oid: '00000000-0000-0000-bbbb-000000000003',
    appOnly: false,
    accountType: 'work',
    scopes: ['Files.Read', 'User.Read'],
    upn: 'rory@contoso.com',
    displayName: 'Rory Readonly',
  },
  app: {
    ...base,
    oid: '00000000-0000-0000-cccc-000000000004',
    appOnly: true,
    accountType: 'work',
    scopes: ['Files.ReadWrite.All'],
  },
  appWithoutRoles: {
    ...base,
    oid: '00000000-0000-0000-cccc-000000000005',
    appOnly: true,
    accountType: 'work',
    scopes: ['User.Read.All'],
  },
} satisfies Record<string, Principal>;

export type TestToken = keyof typeof TEST_PRINCIPALS;

export function testAuthorize(token: string): Principal | undefined {
  return (TEST_PRINCIPALS as Record<string, Principal>)[token];
}

/** A clock tests move by hand, so expiry never needs a sleep. */
export class ManualClock {
  constructor(public ms = Date.parse('2026-03-01T09:00:00Z')) {}
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

export async function startTestGraph(
  options: Partial<GraphEmulatorOptions> = {},
): Promise<{ graph: GraphEmulator; clock: ManualClock; client: (token: TestToken) => Client }> {
  const clock = new ManualClock();
  const graph = await new GraphEmulator({ authorize: testAuthorize, now: clock.now, ...options }).start();
  const client = (token: TestToken): Client =>
    Client.init({
      authProvider: (done) => done(null, token),
      baseUrl: graph.baseUrl,
      defaultVersion: 'v1.0',
      // The SDK only attaches the token to hosts it knows; upload URLs (127.0.0.1) stay bare.
      customHosts: new Set(['localhost']),
    });
  return { graph, clock, client };
}
