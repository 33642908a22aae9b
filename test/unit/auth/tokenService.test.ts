import {
  TokenEndpointError,
  type ClientCredentials,
  type TokenClient,
  type TokenResponse,
} from '../../../src/auth/tokenClient';
import { TokenService, type TokenAlert } from '../../../src/auth/tokenService';
import { isAppError } from '../../../src/errors';
import { MemorySecretStore } from '../../../src/secrets/secretStore';
import { refreshTokenSecretName } from '../../../src/secrets/names';
import type { Connection, ConnectionRepository } from '../../../src/store/connections';
import { AppError } from '../../../src/errors';
import { setLogSink, type LogSink } from '../../../src/log/logger';

let previousSink: LogSink;
beforeAll(() => (previousSink = setLogSink(() => undefined)));
afterAll(() => setLogSink(previousSink));

/** In-memory connections with the repository's contract (undefined in a patch removes the field). */
class MemoryConnections implements ConnectionRepository {
  readonly rows = new Map<string, Connection>();
  async get(id: string): Promise<Connection | undefined> {
    const row = this.rows.get(id);
    return row && { ...row };
  }
  async require(id: string): Promise<Connection> {
    const row = await this.get(id);
    if (!row) throw new AppError('NotFound', id);
    return row;
  }
  async update(id: string, patch: Partial<Connection>): Promise<Connection> {
    const next = { ...(await this.require(id)), ...patch };
    for (const [k, v] of Object.entries(next))
      if (v === undefined) delete (next as Record<string, unknown>)[k];
    this.rows.set(id, next);
    return next;
  }
  async list(): Promise<Connection[]> {
    return [...this.rows.values()];
  }
}

type Script = (request: {
  refreshToken?: string;
  client: ClientCredentials;
  url: string;
}) => Promise<TokenResponse>;

class ScriptedTokenClient implements TokenClient {
  readonly calls: Array<{ grant: string; refreshToken?: string; url: string }> = [];
  constructor(public script: Script) {}
  redeemCode(): Promise<TokenResponse> {
    throw new Error('not used');
  }
  async refresh(
    url: string,
    client: ClientCredentials,
    request: { refreshToken: string },
  ): Promise<TokenResponse> {
    this.calls.push({ grant: 'refresh_token', refreshToken: request.refreshToken, url });
    return this.script({ refreshToken: request.refreshToken, client, url });
  }
  async clientCredentials(url: string, client: ClientCredentials): Promise<TokenResponse> {
    this.calls.push({ grant: 'client_credentials', url });
    return this.script({ client, url });
  }
}

const CLIENT_ID = '11111111-1111-1111-1111-111111111111';

function connection(id: string, fields: Partial<Connection> = {}): Connection {
  return {
    id,
    name: `conn ${id}`,
    cloud: 'global',
    tenant: 'common',
    authMode: 'delegated',
    hasOwnClientSecret: false,
    driveType: 'personal',
    rootFolder: '/Backups',
    status: 'authorized',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...fields,
  };
}

async function setup(script: Script, rows: Connection[] = [connection('c1')]) {
  const connections = new MemoryConnections();
  for (const row of rows) connections.rows.set(row.id, row);
  const secrets = new MemorySecretStore();
  await secrets.setSecret('graph-client-secret', 'client-secret-value-1');
  for (const row of rows) await secrets.setSecret(refreshTokenSecretName(row.id), `rt-initial-${row.id}`);
  const client = new ScriptedTokenClient(script);
  let now = Date.parse('2026-03-01T00:00:00Z');
  const sleeps: number[] = [];
  const alerts: TokenAlert[] = [];
  const service = new TokenService({
    defaultClientId: CLIENT_ID,
    clientSecretName: 'graph-client-secret',
    connections,
    secrets,
    tokenClient: client,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    onAlert: (alert) => {
      alerts.push(alert);
    },
  });
  return { service, client, connections, secrets, sleeps, alerts, advance: (ms: number) => (now += ms) };
}

let issued = 0;
const rotating: Script = async ({ refreshToken }) => ({
  accessToken: `at-${++issued}`,
  refreshToken: `${refreshToken}-next`,
  expiresIn: 3600,
});

const failure = (status: number, error: string, codes: number[] = []): TokenEndpointError =>
  new TokenEndpointError(status, error, codes, `AADSTS${codes[0] ?? ''}: described`, 'trace-1');

describe('token service', () => {
  it('caches the access token until five minutes before it expires', async () => {
    const { service, client, advance } = await setup(rotating);
    const first = await service.getAccessToken('c1');
    advance(54 * 60 * 1000);
    expect(await service.getAccessToken('c1')).toBe(first);
    expect(client.calls).toHaveLength(1);
    advance(60 * 1000 + 1);
    expect(await service.getAccessToken('c1')).not.toBe(first);
    expect(client.calls).toHaveLength(2);
  });

  it('makes one refresh for ten concurrent callers', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { service, client } = await setup(async (req) => {
      await gate;
      return rotating(req);
    });
    const callers = Array.from({ length: 10 }, () => service.getAccessToken('c1'));
    release();
    const tokens = await Promise.all(callers);
    expect(new Set(tokens).size).toBe(1);
    expect(client.calls).toHaveLength(1);
  });

  it('writes the rotated refresh token to Key Vault and uses it next time', async () => {
    const { service, client, secrets } = await setup(rotating);
    await service.getAccessToken('c1');
    await service.getAccessToken('c1', { forceRefresh: true });
    expect(client.calls.map((c) => c.refreshToken)).toEqual(['rt-initial-c1', 'rt-initial-c1-next']);
    expect(secrets.versions.get(refreshTokenSecretName('c1'))).toHaveLength(3);
  });

  it('leaves Key Vault alone when the refresh token did not change', async () => {
    const { service, secrets } = await setup(async ({ refreshToken }) => ({
      accessToken: 'at',
      refreshToken,
      expiresIn: 3600,
    }));
    await service.getAccessToken('c1');
    expect(secrets.versions.get(refreshTokenSecretName('c1'))).toHaveLength(1);
  });

  it('marks a revoked sign-in reauth-required and never calls the token endpoint again', async () => {
    const { service, client, connections, alerts, sleeps } = await setup(async () => {
      throw failure(400, 'invalid_grant', [70008]);
    });
    const attempts = await Promise.allSettled(Array.from({ length: 5 }, () => service.getAccessToken('c1')));
    for (let i = 0; i < 20; i++) await service.getAccessToken('c1').catch(() => undefined);
    expect(attempts.every((a) => a.status === 'rejected' && isAppError(a.reason, 'ReauthRequired'))).toBe(
      true,
    );
    expect(client.calls).toHaveLength(1);
    expect(sleeps).toEqual([]);
    const row = await connections.get('c1');
    expect(row).toMatchObject({ status: 'reauth-required', statusCode: 'AADSTS70008' });
    expect(row?.advice).toMatch(/Authorize again/);
    expect(alerts).toEqual([expect.objectContaining({ kind: 'reauth-required', connectionIds: ['c1'] })]);
  });

  it('treats interaction_required (MFA) as needing re-authorization with its own advice', async () => {
    const { service, connections } = await setup(async () => {
      throw failure(400, 'interaction_required', [50076]);
    });
    await expect(service.getAccessToken('c1')).rejects.toMatchObject({ code: 'ReauthRequired' });
    expect((await connections.get('c1'))?.advice).toMatch(/multi-factor/);
  });

  it('flags every connection of the app on invalid_client and heals on the next success', async () => {
    let broken = true;
    const rows = [
      connection('c1'),
      connection('c2'),
      connection('other-app', { clientId: '22222222-2222-2222-2222-222222222222', hasOwnClientSecret: true }),
    ];
    const { service, connections, alerts, client, secrets } = await setup(async (req) => {
      if (broken) throw failure(401, 'invalid_client', [7000215]);
      return rotating(req);
    }, rows);
    await secrets.setSecret('conn-other-app-client-secret', 'other-secret-value');
    await expect(service.getAccessToken('c1')).rejects.toMatchObject({ code: 'InvalidClient' });
    expect(client.calls).toHaveLength(1);
    expect((await connections.get('c1'))?.status).toBe('error');
    expect(await connections.get('c2')).toMatchObject({ status: 'error', statusCode: 'AADSTS7000215' });
    expect((await connections.get('other-app'))?.status).toBe('authorized');
    expect(alerts).toEqual([
      expect.objectContaining({ kind: 'invalid-client', clientId: CLIENT_ID, connectionIds: ['c1', 'c2'] }),
    ]);
    broken = false;
    await service.getAccessToken('c2');
    const healed = await connections.get('c2');
    expect(healed?.status).toBe('authorized');
    expect(healed?.statusCode).toBeUndefined();
  });

  it('retries transient failures with bounded backoff, honouring Retry-After', async () => {
    let n = 0;
    const { service, client, sleeps } = await setup(async (req) => {
      n++;
      if (n === 1) throw new TokenEndpointError(503, 'http_503', [], '', undefined, undefined, 7);
      if (n === 2) throw new TokenEndpointError(0, 'network_error', [], '');
      return rotating(req);
    });
    await service.getAccessToken('c1');
    expect(client.calls).toHaveLength(3);
    expect(sleeps[0]).toBe(7000);
    expect(sleeps[1]).toBeGreaterThan(0);
  });

  it('gives up after the last attempt with a Transient error and does not mark the connection', async () => {
    const { service, client, sleeps, connections } = await setup(async () => {
      throw new TokenEndpointError(500, 'server_error', [], '');
    });
    await expect(service.getAccessToken('c1')).rejects.toMatchObject({ code: 'Transient' });
    expect(client.calls).toHaveLength(4);
    expect(sleeps).toHaveLength(3);
    expect(sleeps[2]).toBeGreaterThan(sleeps[0]);
    expect((await connections.get('c1'))?.status).toBe('authorized');
  });

  it('refuses a connection that was never authorized without calling the token endpoint', async () => {
    const { service, client, secrets } = await setup(rotating, [connection('fresh', { status: 'new' })]);
    await secrets.deleteSecret(refreshTokenSecretName('fresh'));
    await expect(service.getAccessToken('fresh')).rejects.toMatchObject({ code: 'ReauthRequired' });
    expect(client.calls).toHaveLength(0);
  });

  it('uses client credentials for app-only connections, with the cloud resource scope', async () => {
    const { service, client, connections } = await setup(
      async () => ({ accessToken: 'app-token', expiresIn: 3600 }),
      [
        connection('app', {
          authMode: 'app-only',
          tenant: 'contoso.onmicrosoft.com',
          cloud: 'usgov-dod',
          status: 'new',
        }),
      ],
    );
    expect(await service.getAccessToken('app')).toBe('app-token');
    expect(client.calls[0]).toMatchObject({
      grant: 'client_credentials',
      url: 'https://login.microsoftonline.us/contoso.onmicrosoft.com/oauth2/v2.0/token',
    });
    expect((await connections.get('app'))?.status).toBe('authorized');
  });

  it('refreshes connections idle for 30 days and leaves recent ones alone', async () => {
    const rows = [
      connection('idle', { lastRefreshAt: '2026-01-15T00:00:00Z' }),
      connection('recent', { lastRefreshAt: '2026-02-25T00:00:00Z' }),
      connection('waiting', { status: 'reauth-required', lastRefreshAt: '2025-01-01T00:00:00Z' }),
    ];
    const { service, client } = await setup(rotating, rows);
    const result = await service.refreshIdle(30);
    expect(result).toEqual({ refreshed: ['idle'], failed: [] });
    expect(client.calls).toHaveLength(1);
  });
});
