// Key Vault certificates, keys and sign, driven by the real CertificateClient, CryptographyClient and
// SecretClient. Behaviour from the Key Vault REST reference ("Create Certificate", "Get Certificate
// Operation", "Get Certificate", "Get Key", "Sign": https://learn.microsoft.com/rest/api/keyvault/keys/sign/sign),
// "About Azure Key Vault certificates" (https://learn.microsoft.com/azure/key-vault/certificates/about-certificates:
// an addressable key and secret with the same name; a non-exportable key is not part of the secret),
// "Export certificates from Azure Key Vault" and Key Vault RBAC (403 ForbiddenByRbac).
import { createHash, createPublicKey, constants, verify, X509Certificate } from 'node:crypto';
import { CertificateClient } from '@azure/keyvault-certificates';
import { CryptographyClient } from '@azure/keyvault-keys';
import { SecretClient } from '@azure/keyvault-secrets';
import { KeyVaultEmulator, DATA_ACTIONS, ROLES, type Grant } from '../../emulators/keyvault';
import type { Principal } from '../../emulators/shared/principal';
import { CONTROL_KEY_HEADER } from '../../emulators/shared/server';

type Credential = ConstructorParameters<typeof CertificateClient>[1];
const credential = (token: string): Credential => ({
  getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3600e3 }),
});
const options = { disableChallengeResourceVerification: true };

function principal(token: string): Principal {
  return {
    oid: `oid-${token}`,
    tenantId: 't',
    appId: `app-${token}`,
    appOnly: true,
    accountType: 'work',
    scopes: [],
    audience: 'https://vault.azure.net',
    expiresAt: Number.MAX_SAFE_INTEGER,
  };
}

// Tokens: `admin` may do everything; `signer` holds Crypto User on one key and Reader on the vault,
// the grants the product's identity gets; `reader` holds Reader only.
const GRANTS: Record<string, readonly Grant[] | undefined> = {
  admin: undefined,
  signer: [
    ...ROLES.cryptoUser.map((action) => ({ action, scope: '/keys/app-credential' })),
    { action: DATA_ACTIONS.certificatesRead },
  ],
  reader: ROLES.reader.map((action) => ({ action })),
};

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest();

describe('Key Vault certificates and sign with the real SDK clients', () => {
  // Real time plus an offset: CryptographyClient checks the key's nbf/exp against the machine clock.
  let offsetMs = 0;
  const emulator = new KeyVaultEmulator({
    now: () => Date.now() + offsetMs,
    authorize: (token) => (token in GRANTS ? principal(token) : undefined),
    permissions: (p) => GRANTS[p.oid.slice(4)],
  });
  let certificates: CertificateClient;
  let secrets: SecretClient;

  beforeAll(async () => {
    await emulator.start();
    certificates = new CertificateClient(emulator.vaultUrl, credential('admin'), options);
    secrets = new SecretClient(emulator.vaultUrl, credential('admin'), options);
  });
  afterAll(() => emulator.stop());

  it('creates a self-signed RSA certificate through the long-running operation, with a non-exportable key', async () => {
    const poller = await certificates.beginCreateCertificate(
      'app-credential',
      {
        issuerName: 'Self',
        subject: 'CN=azure-onedrive-backup',
        keyType: 'RSA',
        keySize: 2048,
        exportable: false,
        reuseKey: false,
        validityInMonths: 12,
        lifetimeActions: [{ action: 'AutoRenew', daysBeforeExpiry: 30 }],
      },
      { intervalInMs: 20 },
    );
    const created = await poller.pollUntilDone();

    const creates = emulator.server.requests.filter((r) => r.path.endsWith('/create') && r.status === 202);
    expect(creates).toHaveLength(1);
    expect(emulator.server.requests.some((r) => r.path.endsWith('/pending') && r.status === 200)).toBe(true);
    expect(created.name).toBe('app-credential');
    expect(created.properties.version).toMatch(/^[0-9a-f]{32}$/);
    expect(created.keyId).toBe(`${emulator.vaultUrl}keys/app-credential/${created.properties.version}`);
    expect(created.secretId).toBe(`${emulator.vaultUrl}secrets/app-credential/${created.properties.version}`);
    expect(created.policy?.exportable).toBe(false);
    expect(created.policy?.lifetimeActions).toEqual([{ action: 'AutoRenew', daysBeforeExpiry: 30 }]);

    const x509 = new X509Certificate(Buffer.from(created.cer!));
    expect(x509.subject).toBe('CN=azure-onedrive-backup');
    expect((x509.publicKey.asymmetricKeyDetails as { modulusLength: number }).modulusLength).toBe(2048);
    // x5t is the SHA-1 of the DER; nbf/exp are the X.509 validity.
    expect(Buffer.from(created.properties.x509Thumbprint!).toString('hex')).toBe(
      createHash('sha1').update(Buffer.from(created.cer!)).digest('hex'),
    );
    expect(created.properties.notBefore!.getTime()).toBe(new Date(x509.validFrom).getTime());
    expect(created.properties.expiresOn!.getTime()).toBe(new Date(x509.validTo).getTime());
  });

  it('keeps the private key out of the secret of a non-exportable certificate, and in it when exportable', async () => {
    const backing = await secrets.getSecret('app-credential');
    expect(backing.properties.contentType).toBe('application/x-pkcs12');
    const pfx = Buffer.from(backing.value!, 'base64').toString('binary');
    // The PKCS#12 holds a certificate bag and no key bag (OID 1.2.840.113549.1.12.10.1.2, shrouded key).
    expect(pfx.includes(Buffer.from('2a864886f70d010c0a0102', 'hex').toString('binary'))).toBe(false);
    expect(pfx.includes(Buffer.from('2a864886f70d010c0a0103', 'hex').toString('binary'))).toBe(true);

    await emulator.createCertificate('exportable-pem', {
      key_props: { exportable: true, kty: 'RSA', key_size: 2048 },
      secret_props: { contentType: 'application/x-pem-file' },
      lifetime_actions: [],
    });
    const pem = await secrets.getSecret('exportable-pem');
    expect(pem.value).toContain('-----BEGIN PRIVATE KEY-----');
    const nonExportablePem = await emulator.createCertificate('plain-pem', {
      key_props: { exportable: false, kty: 'RSA', key_size: 2048 },
      secret_props: { contentType: 'application/x-pem-file' },
      lifetime_actions: [],
    });
    const plain = await secrets.getSecret('plain-pem');
    expect(plain.value).not.toContain('PRIVATE KEY');
    expect(plain.value).toContain('-----BEGIN CERTIFICATE-----');
    expect(plain.properties.version).toBe(nonExportablePem.version);
  });

  it.each([3072, 4096])('creates RSA %i keys', async (bits) => {
    const poller = await certificates.beginCreateCertificate(
      `rsa-${bits}`,
      {
        issuerName: 'Self',
        subject: `CN=rsa-${bits}`,
        keySize: bits,
        exportable: false,
        lifetimeActions: [],
      },
      { intervalInMs: 20 },
    );
    const cert = await poller.pollUntilDone();
    const details = new X509Certificate(Buffer.from(cert.cer!)).publicKey.asymmetricKeyDetails;
    expect(details?.modulusLength).toBe(bits);
  });

  it('refuses a key size and an issuer it does not have', async () => {
    await expect(
      certificates.beginCreateCertificate('bad-size', { issuerName: 'Self', subject: 'CN=x', keySize: 1024 }),
    ).rejects.toMatchObject({ statusCode: 400, code: 'BadParameter' });
    await expect(
      certificates.beginCreateCertificate('bad-issuer', { issuerName: 'Unknown', subject: 'CN=x' }),
    ).rejects.toMatchObject({ statusCode: 400 });
  });

  it('signs a digest with RS256 and PS256 through CryptographyClient; the signature verifies with the certificate', async () => {
    const cert = await certificates.getCertificate('app-credential');
    const crypto = new CryptographyClient(cert.keyId!, credential('admin'), options);
    const publicKey = new X509Certificate(Buffer.from(cert.cer!)).publicKey;
    const data = 'header.payload';

    const rs = await crypto.sign('RS256', sha256(data));
    expect(rs.keyID).toBe(cert.keyId);
    expect(verify('sha256', Buffer.from(data), publicKey, Buffer.from(rs.result))).toBe(true);

    const ps = await crypto.sign('PS256', sha256(data));
    const pssOk = verify(
      'sha256',
      Buffer.from(data),
      { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
      Buffer.from(ps.result),
    );
    expect(pssOk).toBe(true);
    // Signed by the vault, not locally: the private key never left it.
    const signs = emulator.server.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/sign'));
    expect(signs.map((r) => r.path)).toEqual([
      `/keys/app-credential/${cert.properties.version}/sign`,
      `/keys/app-credential/${cert.properties.version}/sign`,
    ]);
  });

  it('signs with the latest version through a versionless key id', async () => {
    const cert = await certificates.getCertificate('app-credential');
    const versionless = `${emulator.vaultUrl}keys/app-credential`;
    const signed = await new CryptographyClient(versionless, credential('admin'), options).sign(
      'RS256',
      sha256('v'),
    );
    const publicKey = new X509Certificate(Buffer.from(cert.cer!)).publicKey;
    expect(verify('sha256', Buffer.from('v'), publicKey, Buffer.from(signed.result))).toBe(true);
  });

  it('answers the documented KeyBundle for the certificate key, without the private half', async () => {
    const cert = await certificates.getCertificate('app-credential');
    const res = await fetch(`${cert.keyId}?api-version=7.5`, { headers: { Authorization: 'Bearer admin' } });
    const body = (await res.json()) as {
      key: Record<string, unknown>;
      attributes: Record<string, unknown>;
      managed: boolean;
    };
    expect(res.status).toBe(200);
    expect(body.key.kid).toBe(cert.keyId);
    expect(body.key.kty).toBe('RSA');
    expect(body.key.key_ops).toEqual(expect.arrayContaining(['sign', 'verify']));
    expect(body.key.d).toBeUndefined();
    expect(body.attributes.exportable).toBe(false);
    expect(body.managed).toBe(true);
    const jwkKey = createPublicKey({
      key: { kty: 'RSA', n: body.key.n, e: body.key.e } as never,
      format: 'jwk',
    });
    const certKey = new X509Certificate(Buffer.from(cert.cer!)).publicKey;
    expect(jwkKey.export({ format: 'der', type: 'spki' })).toEqual(
      certKey.export({ format: 'der', type: 'spki' }),
    );
  });

  it('refuses a wrong digest length, an unknown algorithm and an unknown key version', async () => {
    const cert = await certificates.getCertificate('app-credential');
    const post = (path: string, body: unknown) =>
      fetch(`${emulator.server.baseUrl}${path}?api-version=7.5`, {
        method: 'POST',
        headers: { Authorization: 'Bearer admin', 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    const keyPath = `/keys/app-credential/${cert.properties.version}/sign`;
    const short = await post(keyPath, { alg: 'RS256', value: Buffer.alloc(20).toString('base64url') });
    expect(short.status).toBe(400);
    const alg = await post(keyPath, { alg: 'ES256', value: sha256('x').toString('base64url') });
    expect(alg.status).toBe(400);
    const unknown = await post('/keys/app-credential/00000000000000000000000000000000/sign', {
      alg: 'RS256',
      value: sha256('x').toString('base64url'),
    });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('KeyNotFound');
  });

  it('lets a principal with sign at key scope sign, but not read the secret (export) or sign with another key', async () => {
    const cert = await certificates.getCertificate('app-credential');
    const signer = new CryptographyClient(cert.keyId!, credential('signer'), options);
    const signed = await signer.sign('RS256', sha256('x'));
    expect(signed.result.length).toBe(256);

    const signerSecrets = new SecretClient(emulator.vaultUrl, credential('signer'), options);
    await expect(signerSecrets.getSecret('app-credential')).rejects.toMatchObject({
      statusCode: 403,
      code: 'Forbidden',
      details: { error: { innerError: { code: 'ForbiddenByRbac' } } },
    });
    const other = await certificates.getCertificate('exportable-pem');
    const wrongKey = new CryptographyClient(other.keyId!, credential('signer'), options);
    await expect(wrongKey.sign('RS256', sha256('x'))).rejects.toMatchObject({ statusCode: 403 });
    // Reader sees the certificate but cannot sign with its key.
    const reader = new CryptographyClient(cert.keyId!, credential('reader'), options);
    await expect(reader.sign('RS256', sha256('x'))).rejects.toMatchObject({ statusCode: 403 });
    const readerCerts = new CertificateClient(emulator.vaultUrl, credential('reader'), options);
    expect((await readerCerts.getCertificate('app-credential')).properties.version).toBe(
      cert.properties.version,
    );
  });

  it('renews through the control route: a new version with a new key, the old version still listed', async () => {
    const before = await certificates.getCertificate('app-credential');
    const forbidden = await fetch(
      `${emulator.server.baseUrl}/_emulator/keyvault/certificates/app-credential/renew`,
      {
        method: 'POST',
      },
    );
    expect(forbidden.status).toBe(403);
    const res = await fetch(
      `${emulator.server.baseUrl}/_emulator/keyvault/certificates/app-credential/renew`,
      {
        method: 'POST',
        headers: { [CONTROL_KEY_HEADER]: emulator.server.controlKey },
        body: '{}',
      },
    );
    expect(res.status).toBe(200);
    const after = await certificates.getCertificate('app-credential');
    expect(after.properties.version).not.toBe(before.properties.version);
    expect(Buffer.from(after.cer!).equals(Buffer.from(before.cer!))).toBe(false);
    const oldKey = new X509Certificate(Buffer.from(before.cer!)).publicKey.export({
      format: 'der',
      type: 'spki',
    });
    const newKey = new X509Certificate(Buffer.from(after.cer!)).publicKey.export({
      format: 'der',
      type: 'spki',
    });
    expect(newKey.equals(oldKey)).toBe(false);
    const versions: string[] = [];
    for await (const v of certificates.listPropertiesOfCertificateVersions('app-credential'))
      versions.push(v.version!);
    expect(versions).toEqual(expect.arrayContaining([before.properties.version, after.properties.version]));
    // The old key version still signs: rotation overlaps.
    const oldSigner = new CryptographyClient(before.keyId!, credential('admin'), options);
    expect((await oldSigner.sign('RS256', sha256('x'))).keyID).toBe(before.keyId);
  });

  it('auto-renews when the clock passes the lifetime action trigger (30 days before expiry)', async () => {
    const before = await certificates.getCertificate('app-credential');
    const renewAt = before.properties.expiresOn!.getTime() - 30 * 24 * 3600e3;
    offsetMs = renewAt - Date.now() + 1000;
    const after = await certificates.getCertificate('app-credential');
    expect(after.properties.version).not.toBe(before.properties.version);
    offsetMs = 0;
  });

  it('refuses to sign with an expired key, after the control route sets the expiry', async () => {
    // No lifetime action, or the vault would renew the expired certificate at once.
    const cert = await emulator.createCertificate('expiring', { lifetime_actions: [] });
    const past = Math.floor(Date.now() / 1000) - 60;
    const res = await fetch(
      `${emulator.server.baseUrl}/_emulator/keyvault/certificates/expiring/attributes`,
      {
        method: 'POST',
        headers: { [CONTROL_KEY_HEADER]: emulator.server.controlKey },
        body: JSON.stringify({ version: cert.version, exp: past }),
      },
    );
    expect(res.status).toBe(200);
    const props = await certificates.getCertificate('expiring');
    expect(props.properties.expiresOn!.getTime()).toBe(past * 1000);
    const raw = await fetch(`${emulator.server.baseUrl}/keys/expiring/${cert.version}/sign?api-version=7.5`, {
      method: 'POST',
      headers: { Authorization: 'Bearer admin', 'Content-Type': 'application/json' },
      body: JSON.stringify({ alg: 'RS256', value: sha256('x').toString('base64url') }),
    });
    expect(raw.status).toBe(403);
    expect(((await raw.json()) as { error: { innererror: { code: string } } }).error.innererror.code).toBe(
      'KeyExpired',
    );
    // The SDK client refuses too, before sending (it reads the key's exp).
    const client = new CryptographyClient(props.keyId!, credential('admin'), options);
    await expect(client.sign('RS256', sha256('x'))).rejects.toThrow(/expired/);
  });
});
