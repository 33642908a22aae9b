// The client assertion of Microsoft's "certificate credentials" page
// (https://learn.microsoft.com/entra/identity-platform/certificate-credentials): header alg RS256,
// typ JWT, x5t#S256 = base64url(SHA-256(DER)); claims aud (token endpoint), iss = sub = client id,
// jti, nbf, iat, exp. Signed here with a local key standing in for Key Vault's sign operation.
import { createHash, generateKeyPairSync, sign as rsaSign, verify } from 'node:crypto';
import {
  ASSERTION_LIFETIME_SECONDS,
  assertionClaims,
  base64url,
  buildCertificateAssertion,
  x5tS256,
} from '../../../src/auth/assertion';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const der = Buffer.from('a certificate DER stand-in \u00ff\u00fe');
const parse = (part: string) =>
  JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;

/** What Key Vault's RS256 sign does with a digest: PKCS#1 v1.5 over the DigestInfo of that SHA-256. */
async function vaultSign(digest: Buffer): Promise<Uint8Array> {
  const prefix = Buffer.from('3031300d060960864801650304020105000420', 'hex');
  const { privateEncrypt, constants } = await import('node:crypto');
  return privateEncrypt(
    { key: privateKey, padding: constants.RSA_PKCS1_PADDING },
    Buffer.concat([prefix, digest]),
  );
}

describe('client assertion', () => {
  it('names the certificate by base64url SHA-256 of its DER (x5t#S256), without padding', () => {
    const expected = createHash('sha256')
      .update(der)
      .digest('base64')
      .replace(/=+$/, '')
      .replace(/\+/g, '-')
      .replace(/\//g, '_');
    expect(x5tS256(der)).toBe(expected);
    expect(x5tS256(der)).not.toMatch(/[=+/]/);
  });

  it('has the header and claims Microsoft lists, with a short life', async () => {
    const now = Date.UTC(2026, 11, 1, 12, 0, 0);
    const jwt = await buildCertificateAssertion(
      {
        clientId: 'app-id',
        audience: 'https://login.microsoftonline.com/t/oauth2/v2.0/token',
        certificateDer: der,
        nowMs: now,
      },
      vaultSign,
    );
    const [header, claims, signature] = jwt.split('.');
    expect(parse(header)).toEqual({ alg: 'RS256', typ: 'JWT', 'x5t#S256': x5tS256(der) });
    const c = parse(claims);
    expect(c).toMatchObject({
      aud: 'https://login.microsoftonline.com/t/oauth2/v2.0/token',
      iss: 'app-id',
      sub: 'app-id',
      nbf: now / 1000,
      iat: now / 1000,
      exp: now / 1000 + ASSERTION_LIFETIME_SECONDS,
    });
    expect(c.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(ASSERTION_LIFETIME_SECONDS).toBeLessThanOrEqual(600);
    // The signature verifies as RS256 over `header.claims` with the certificate's public key.
    expect(
      verify('sha256', Buffer.from(`${header}.${claims}`), publicKey, Buffer.from(signature, 'base64url')),
    ).toBe(true);
    // And equals what a local RS256 signer would produce (PKCS#1 v1.5 is deterministic).
    expect(signature).toBe(base64url(rsaSign('sha256', Buffer.from(`${header}.${claims}`), privateKey)));
  });

  it('signs the SHA-256 digest of the signing input, not the input itself', async () => {
    const digests: Buffer[] = [];
    const jwt = await buildCertificateAssertion(
      { clientId: 'a', audience: 'b', certificateDer: der, nowMs: 0, jti: 'fixed' },
      async (digest) => (digests.push(digest), vaultSign(digest)),
    );
    const [h, c] = jwt.split('.');
    expect(digests).toEqual([createHash('sha256').update(`${h}.${c}`).digest()]);
  });

  it('makes a new jti for every assertion', () => {
    const a = assertionClaims({ clientId: 'x', audience: 'y', nowMs: 0 });
    const b = assertionClaims({ clientId: 'x', audience: 'y', nowMs: 0 });
    expect(a.jti).not.toBe(b.jti);
  });

  it('encodes base64url without padding or + and /', () => {
    expect(base64url(Buffer.from([0xfb, 0xff]))).toBe('-_8');
  });
});
