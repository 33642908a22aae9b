// The vault's key material: RSA key pairs, self-signed X.509 certificates and the sign operation.
// Key Vault's sign takes a digest the caller computed, not the message ("Creates a signature from a
// digest", REST `POST /keys/{name}/{version}/sign`), and Node's sign APIs always hash their input, so
// the padding is applied here by hand (PKCS#1 v1.5 DigestInfo, or EMSA-PSS from RFC 8017 9.1.1) and
// the raw RSA operation is done by privateEncrypt without padding. node-forge builds the certificate,
// which node:crypto cannot do.
import {
  constants,
  createHash,
  generateKeyPair,
  privateEncrypt,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';

const generateRsa = promisify(generateKeyPair);

export const RSA_KEY_SIZES = [2048, 3072, 4096] as const;

export interface RsaKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export async function newRsaKey(bits: number): Promise<RsaKeyPair> {
  const { privateKey, publicKey } = await generateRsa('rsa', {
    modulusLength: bits,
    publicExponent: 0x10001,
  });
  return { privateKey, publicKey };
}

/** The JWK `n` and `e` members (base64url), as Key Vault's JsonWebKey carries them. */
export function publicJwk(publicKey: KeyObject): { n: string; e: string } {
  const jwk = publicKey.export({ format: 'jwk' }) as { n: string; e: string };
  return { n: jwk.n, e: jwk.e };
}

export const SIGNATURE_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const;
export type SignatureAlgorithm = (typeof SIGNATURE_ALGORITHMS)[number];

const HASHES: Record<string, { name: string; length: number; digestInfo: string }> = {
  '256': { name: 'sha256', length: 32, digestInfo: '3031300d060960864801650304020105000420' },
  '384': { name: 'sha384', length: 48, digestInfo: '3041300d060960864801650304020205000430' },
  '512': { name: 'sha512', length: 64, digestInfo: '3051300d060960864801650304020305000440' },
};

export function digestLengthFor(alg: SignatureAlgorithm): number {
  return HASHES[alg.slice(2)].length;
}

/** Signs a precomputed digest. The caller has checked that the digest length fits the algorithm. */
export function signDigest(alg: SignatureAlgorithm, digest: Buffer, privateKey: KeyObject): Buffer {
  const hash = HASHES[alg.slice(2)];
  if (alg.startsWith('RS')) {
    const encoded = Buffer.concat([Buffer.from(hash.digestInfo, 'hex'), digest]);
    return privateEncrypt({ key: privateKey, padding: constants.RSA_PKCS1_PADDING }, encoded);
  }
  const modulusBits = (privateKey.asymmetricKeyDetails?.modulusLength ?? 2048) as number;
  const em = emsaPssEncode(digest, modulusBits - 1, hash.name, hash.length);
  return privateEncrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, em);
}

/** RFC 8017 9.1.1 with the salt as long as the hash, as JWA (RFC 7518 3.5) requires for PS256/384/512. */
function emsaPssEncode(mHash: Buffer, emBits: number, hashName: string, hLen: number): Buffer {
  const emLen = Math.ceil(emBits / 8);
  const sLen = hLen;
  const salt = randomBytes(sLen);
  const h = createHash(hashName)
    .update(Buffer.concat([Buffer.alloc(8), mHash, salt]))
    .digest();
  const db = Buffer.concat([Buffer.alloc(emLen - sLen - hLen - 2), Buffer.from([0x01]), salt]);
  const mask = mgf1(h, emLen - hLen - 1, hashName);
  for (let i = 0; i < db.length; i++) db[i] ^= mask[i];
  db[0] &= 0xff >> (8 * emLen - emBits);
  const em = Buffer.concat([db, h, Buffer.from([0xbc])]);
  // privateEncrypt without padding needs the input as long as the modulus, one byte longer here.
  return emBits % 8 === 0 ? Buffer.concat([Buffer.alloc(1), em]) : em;
}

function mgf1(seed: Buffer, length: number, hashName: string): Buffer {
  const chunks: Buffer[] = [];
  for (let counter = 0; Buffer.concat(chunks).length < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    chunks.push(createHash(hashName).update(seed).update(c).digest());
  }
  return Buffer.concat(chunks).subarray(0, length);
}

export interface CertificateRequest {
  subject: string;
  dnsNames?: string[];
  /** Unix seconds. */
  notBefore: number;
  notAfter: number;
  keyUsage: string[];
  ekus: string[];
}

const EKU_NAMES: Record<string, string> = {
  '1.3.6.1.5.5.7.3.1': 'serverAuth',
  '1.3.6.1.5.5.7.3.2': 'clientAuth',
  '1.3.6.1.5.5.7.3.3': 'codeSigning',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
};

const SHORT_NAMES: Record<string, string> = {
  CN: 'commonName',
  O: 'organizationName',
  OU: 'organizationalUnitName',
  C: 'countryName',
  L: 'localityName',
  ST: 'stateOrProvinceName',
};

/** "CN=a, O=b" as forge attributes; unknown attribute types are refused by the caller's validation. */
export function parseSubject(subject: string): { name: string; value: string }[] | undefined {
  const parts = subject
    .split(/,(?=\s*[A-Za-z]+=)/)
    .map((p) => p.trim())
    .filter(Boolean);
  const out: { name: string; value: string }[] = [];
  for (const part of parts) {
    const eq = part.indexOf('=');
    const type = SHORT_NAMES[part.slice(0, eq).trim().toUpperCase()];
    const value = part.slice(eq + 1).trim();
    if (eq < 1 || !type || !value) return undefined;
    out.push({ name: type, value });
  }
  return out.length ? out : undefined;
}

/** A self-signed certificate (DER) for the key pair, signed with SHA-256 as Key Vault's self issuer does. */
export function selfSignedCertificate(keys: RsaKeyPair, request: CertificateRequest): Buffer {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(
    keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  );
  // Positive 16-byte serial, as the service issues.
  cert.serialNumber = `7${randomBytes(15).toString('hex')}`;
  cert.validity.notBefore = new Date(request.notBefore * 1000);
  cert.validity.notAfter = new Date(request.notAfter * 1000);
  const attrs = parseSubject(request.subject) ?? [{ name: 'commonName', value: request.subject }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  const usage = new Set(request.keyUsage);
  const extensions: Record<string, unknown>[] = [
    { name: 'basicConstraints', cA: false },
    {
      name: 'keyUsage',
      digitalSignature: usage.has('digitalSignature'),
      nonRepudiation: usage.has('nonRepudiation'),
      keyEncipherment: usage.has('keyEncipherment'),
      dataEncipherment: usage.has('dataEncipherment'),
      keyAgreement: usage.has('keyAgreement'),
      keyCertSign: usage.has('keyCertSign'),
      cRLSign: usage.has('cRLSign'),
    },
    { name: 'subjectKeyIdentifier' },
  ];
  const ekus = Object.fromEntries(request.ekus.filter((o) => EKU_NAMES[o]).map((o) => [EKU_NAMES[o], true]));
  if (Object.keys(ekus).length) extensions.push({ name: 'extKeyUsage', ...ekus });
  if (request.dnsNames?.length) {
    extensions.push({
      name: 'subjectAltName',
      altNames: request.dnsNames.map((value) => ({ type: 2, value })),
    });
  }
  cert.setExtensions(extensions);
  const privatePem = keys.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  cert.sign(forge.pki.privateKeyFromPem(privatePem) as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
  return Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');
}

/** Base64url SHA-1 of the DER: the certificate's `x5t`. */
export const x5t = (der: Buffer) => createHash('sha1').update(der).digest('base64url');
/** Base64url SHA-256 of the DER: `x5t#S256`. */
export const x5tS256 = (der: Buffer) => createHash('sha256').update(der).digest('base64url');

export function derToPem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/**
 * The value of the secret that backs a certificate, in the policy's content type. With a
 * non-exportable key it carries the certificate only: "the private key isn't part of the value when
 * it's retrieved as a secret" ("Export certificates from Azure Key Vault").
 */
export function certificateSecretValue(
  der: Buffer,
  privateKey: KeyObject | undefined,
  contentType: string,
): string {
  if (contentType === 'application/x-pem-file') {
    const key = privateKey ? privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() : '';
    return `${key}${derToPem(der)}`;
  }
  const cert = forge.pki.certificateFromAsn1(forge.asn1.fromDer(der.toString('binary')));
  const key = privateKey
    ? forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString())
    : null;
  // Key Vault's PFX has no password.
  const p12 = forge.pkcs12.toPkcs12Asn1(key, [cert], null, { algorithm: '3des' });
  return Buffer.from(forge.asn1.toDer(p12).getBytes(), 'binary').toString('base64');
}
