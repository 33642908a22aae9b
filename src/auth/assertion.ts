// The client assertion of Microsoft's "certificate credentials" page: a JWT whose header names the
// certificate by the SHA-256 thumbprint of its DER (`x5t#S256`) and whose claims say who the app is
// (iss = sub = client id), for which token endpoint (aud), once (jti) and for a short time
// (nbf, iat, exp). Hand-written rather than with a JWT library because the signature comes from
// Key Vault (the private key never leaves it): a library would want the key, and all that is left
// is base64url of two JSON objects and one SHA-256 digest.
import { createHash, randomUUID } from 'node:crypto';
import { x5tS256 } from '../secrets/certificateStore';

export { x5tS256 };

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Short: an assertion is used at once, and a copy of one is worth nothing after this. */
export const ASSERTION_LIFETIME_SECONDS = 5 * 60;

export interface AssertionHeader {
  alg: 'RS256';
  typ: 'JWT';
  'x5t#S256': string;
}

export interface AssertionClaims {
  aud: string;
  iss: string;
  sub: string;
  jti: string;
  nbf: number;
  iat: number;
  exp: number;
}

export function base64url(data: Uint8Array | string): string {
  return Buffer.from(data).toString('base64url');
}

export function assertionClaims(input: {
  clientId: string;
  /** The token endpoint the assertion is sent to. */
  audience: string;
  nowMs: number;
  lifetimeSeconds?: number;
  jti?: string;
}): AssertionClaims {
  const now = Math.floor(input.nowMs / 1000);
  return {
    aud: input.audience,
    iss: input.clientId,
    sub: input.clientId,
    jti: input.jti ?? randomUUID(),
    nbf: now,
    iat: now,
    exp: now + (input.lifetimeSeconds ?? ASSERTION_LIFETIME_SECONDS),
  };
}

/** `base64url(header).base64url(claims)`: the bytes the signature covers. */
export function signingInput(header: AssertionHeader, claims: AssertionClaims): string {
  return `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
}

/** Signs a SHA-256 digest with RS256 (RSASSA-PKCS1-v1_5) and returns the raw signature. */
export type DigestSigner = (digest: Buffer) => Promise<Uint8Array>;

export async function buildCertificateAssertion(
  input: { clientId: string; audience: string; certificateDer: Uint8Array; nowMs: number; jti?: string },
  sign: DigestSigner,
): Promise<string> {
  const header: AssertionHeader = { alg: 'RS256', typ: 'JWT', 'x5t#S256': x5tS256(input.certificateDer) };
  const unsigned = signingInput(header, assertionClaims(input));
  const digest = createHash('sha256').update(unsigned, 'ascii').digest();
  const signature = await sign(digest);
  return `${unsigned}.${base64url(signature)}`;
}
