// Compact JWS with HS256. Real Entra signs with RS256 keys from its JWKS; an HMAC key held by the
// emulator is enough for the emulators that verify tokens (they share the process or ask over HTTP),
// and clients such as MSAL only decode tokens, never verify them.
import { createHmac, timingSafeEqual } from 'node:crypto';

export type Claims = Record<string, unknown>;

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

export function signJwt(claims: Claims, key: Buffer, kid = 'emulator'): string {
  const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'HS256', kid }));
  const payload = b64url(JSON.stringify(claims));
  const signature = createHmac('sha256', key).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

/** The claims when the signature is ours, else undefined. Expiry is the caller's business. */
export function verifyJwt(token: string, key: Buffer): Claims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [header, payload, signature] = parts;
  const expected = createHmac('sha256', key).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const parsedHeader = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    if (parsedHeader.alg !== 'HS256') return undefined;
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Claims;
  } catch {
    return undefined;
  }
}

/** Reads claims without verifying: for tests and clients, never for authorization decisions. */
export function decodeJwt(token: string): Claims {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Claims;
}
