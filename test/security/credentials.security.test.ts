// Attacks on the certificate and federated credentials. The private key must never be read: the
// certificate path works with a vault token that may only sign with the certificate's key and read
// the certificate (no secrets permission at all), and it never asks for the certificate's secret
// (where Key Vault keeps a PKCS#12/PEM with the private key when the key is exportable). And no
// assertion, federated token or access token reaches a log line, whatever an error or a developer
// logs: each is registered with the masker before it is sent.
import { HttpTokenClient } from '../../src/auth/tokenClient';
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
