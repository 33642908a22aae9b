// Attacks on the certificate and federated credentials. The private key must never be read: the
// certificate path works with a vault token that may only sign with the certificate's key and read
// the certificate (no secrets permission at all), and it never asks for the certificate's secret
// (where Key Vault keeps a PKCS#12/PEM with the private key when the key is exportable). And no
// assertion, federated token or access token reaches a log line, whatever an error or a developer
// logs: each is registered with the masker before it is sent.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpTokenClient, TokenEndpointError } from '../../src/auth/tokenClient';
import { createFederatedTokenSource } from '../../src/secrets/federatedToken';
import { buildCertificateAssertion } from '../../src/auth/assertion';
import { createLogger, setLogSink, type LogSink } from '../../src/log/logger';
import { StaticTokenCredential } from '../../src/secrets/credential';
import { KeyVaultCertificateStore } from '../../src/secrets/certificateStore';
import { startEmulators, type Emulators } from '../../emulators';

let emu: Emulators;
const lines: string[] = [];
let previous: LogSink;

beforeAll(async () => {
  previous = setLogSink((line) => lines.push(line));
  emu = await startEmulators();
});
afterAll(async () => {
  setLogSink(previous);
  await emu?.stop();
});

describe('the certificate credential never reads the private key', () => {
  it('signs with a token that has no secrets permission, and never GETs the certificate secret', async () => {
    const name = 'sec-cert';
    const created = await emu.createAppCertificate(name);
    const token = emu.grantKeyVaultToken([
      { action: 'Microsoft.KeyVault/vaults/keys/sign/action', scope: `/keys/${name}` },
      { action: 'Microsoft.KeyVault/vaults/certificates/read', scope: `/certificates/${name}` },
    ]);
    const store = new KeyVaultCertificateStore({
      keyVaultUrl: emu.keyVault.vaultUrl,
      credential: new StaticTokenCredential(token),
    });
    const [version] = await store.versions(name);
    expect(version.version).toBe(created.version);
    const jwt = await buildCertificateAssertion(
      { clientId: 'c', audience: 'a', certificateDer: version.cer, nowMs: Date.now() },
      (digest) => store.sign(version.keyId, digest),
    );
    expect(jwt.split('.')).toHaveLength(3);
    expect(emu.keyVault.server.count('GET', /^\/secrets\//)).toBe(0);
    // The limited token really is limited: the secret (the private key’s home) is not served to it.
    const refused = await fetch(`${emu.keyVault.vaultUrl}/secrets/${name}?api-version=7.5`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(refused.ok).toBe(false);
  });
});

describe('no assertion in the logs', () => {
  it('masks the client assertion in any later log line, even one that quotes the request', async () => {
    const assertion = `eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.${'s'.repeat(40)}`;
    const client = new HttpTokenClient(
      async () => new Response('{"error":"invalid_client"}', { status: 401 }),
    );
    await expect(
      client.clientCredentials(
        'https://login.example/t/oauth2/v2.0/token',
        { clientId: 'c', clientAssertion: assertion },
        { scope: 's' },
      ),
    ).rejects.toThrow();
    createLogger().error('debug.dump', { body: `client_assertion=${assertion}` });
    const text = lines.join('\n');
    expect(text).toContain('debug.dump');
    expect(text).not.toContain(assertion);
  });
});

/** A listener on loopback that records every request and answers with `answer`. */
async function listener(answer: (req: IncomingMessage, res: ServerResponse) => void): Promise<{
  url: string;
  seen: Array<{ method?: string; url?: string; headers: IncomingMessage['headers']; body: string }>;
  close: () => Promise<void>;
}> {
  const seen: Array<{ method?: string; url?: string; headers: IncomingMessage['headers']; body: string }> =
    [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      answer(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('a redirect never carries a credential to another host', () => {
  // The token endpoint and the managed-identity endpoint are the operator's; a 307 or 308 from
  // either (a compromised proxy, a wrong setting) would make fetch send the same POST, client
  // secret or assertion in its body, to whatever host the Location names.
  for (const status of [301, 302, 303, 307, 308])
    it(`a ${status} from the token endpoint is an error, and its Location sees nothing`, async () => {
      const attacker = await listener((_req, res) =>
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end('{"access_token":"stolen-but-valid-looking-token"}'),
      );
      const endpoint = await listener((_req, res) =>
        res.writeHead(status, { location: `${attacker.url}/steal` }).end(),
      );
      try {
        const secret = `client-secret-${'x'.repeat(24)}`;
        const assertion = `eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ5In0.${'a'.repeat(40)}`;
        for (const client of [
          { clientId: 'c', clientSecret: secret },
          { clientId: 'c', clientAssertion: assertion },
        ]) {
          const error = await new HttpTokenClient()
            .clientCredentials(`${endpoint.url}/tenant/oauth2/v2.0/token`, client, { scope: 's' })
            .then(
              () => undefined,
              (e: unknown) => e,
            );
          expect(error).toBeInstanceOf(TokenEndpointError);
          expect((error as TokenEndpointError).status).toBe(status);
          expect(String((error as Error).message)).not.toContain(secret);
        }
        expect(endpoint.seen).toHaveLength(2);
        expect(attacker.seen).toHaveLength(0);
      } finally {
        await attacker.close();
        await endpoint.close();
      }
    });

  it('a redirect from the managed-identity endpoint is refused, and its Location never sees the identity header', async () => {
    const attacker = await listener((_req, res) =>
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end('{"access_token":"forged-federated-token"}'),
    );
    const endpoint = await listener((_req, res) =>
      res.writeHead(307, { location: `${attacker.url}/msi/token` }).end(),
    );
    try {
      const source = createFederatedTokenSource({
        managedIdentityClientId: 'mi-client',
        endpointOverride: `${endpoint.url}/msi/token`,
        endpointHeader: 'identity-header-value-123456',
      });
      await expect(source.getToken('api://AzureADTokenExchange')).rejects.toThrow(/gave no token/);
      expect(endpoint.seen).toHaveLength(1);
      expect(attacker.seen).toHaveLength(0);
    } finally {
      await attacker.close();
      await endpoint.close();
    }
  });
});
