// PKCE (RFC 7636, S256) and the OAuth `state`. The verifier is never stored: it is an HMAC of the
// state under a key kept in Key Vault. Only the browser's redirect carries the state, and without the
// key nobody can compute the verifier from it, which keeps PKCE's protection against a stolen code
// while keeping secrets out of Table storage (the state row holds only the state's hash and the key's
// version).
import { createHash, createHmac, randomBytes } from 'node:crypto';

/** 256 random bits, base64url: twice the 128 bits OAuth (RFC 6749, 10.10) requires of an unguessable value. */
export function newState(): string {
  return randomBytes(32).toString('base64url');
}

/** A 43-character verifier (the RFC's minimum length, 256 bits) bound to this state. */
export function deriveVerifier(key: Buffer, state: string): string {
  return createHmac('sha256', key).update(`pkce-verifier:${state}`, 'utf8').digest('base64url');
}

export function challengeS256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}
