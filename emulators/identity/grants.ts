// Authorization codes and refresh tokens. Codes are single use and short-lived; refresh tokens are
// opaque, each redemption issues a new one and (as in Entra) the old one stays valid until revoked or
// idle too long. Every use is recorded so tests can tell which token a client sent.
import { createHash, randomBytes } from 'node:crypto';

export interface AuthCode {
  code: string;
  clientId: string;
  redirectUri: string;
  codeChallenge?: string;
  codeChallengeMethod?: string;
  scope: string;
  oid: string;
  tenantId: string;
  nonce?: string;
  issuedAt: number;
  expiresAt: number;
  redeemedAt?: number;
}

export interface RefreshGrant {
  token: string;
  clientId: string;
  oid: string;
  tenantId: string;
  /** The scope string the grant was issued for (a refresh may ask for any subset or another resource). */
  scope: string;
  issuedAt: number;
  lastUsedAt?: number;
  /** The user's revocation generation when issued (see Directory.revocations). */
  generation: number;
  /** The refresh token redeemed to get this one, if any. */
  parent?: string;
}

export interface RefreshUse {
  at: number;
  /** The token the client presented. */
  presented: string;
  /** The new token issued in exchange, when the call succeeded. */
  issued?: string;
  /** The AADSTS code when refused. */
  refusedWith?: number;
}

/** Short, stable fingerprint of a token for logs and HTTP state (never the token itself). */
export function fingerprint(token: string): string {
  return createHash('sha256').update(token).digest('base64url').slice(0, 12);
}

const opaque = (prefix: string, bytes: number) => `${prefix}${randomBytes(bytes).toString('base64url')}`;

export class GrantStore {
  readonly codes = new Map<string, AuthCode>();
  readonly refreshTokens = new Map<string, RefreshGrant>();
  readonly refreshUses: RefreshUse[] = [];

  issueCode(fields: Omit<AuthCode, 'code'>): AuthCode {
    // Real codes are long opaque strings starting with a version marker; the shape does not matter.
    const record: AuthCode = { ...fields, code: opaque('0.EMU', 48) };
    this.codes.set(record.code, record);
    return record;
  }

  issueRefresh(fields: Omit<RefreshGrant, 'token'>): RefreshGrant {
    const record: RefreshGrant = { ...fields, token: opaque('1.EMU', 64) };
    this.refreshTokens.set(record.token, record);
    return record;
  }

  recordUse(use: RefreshUse): void {
    this.refreshUses.push(use);
  }

  /** Refresh grants issued to a user (for inspection). */
  refreshTokensOf(oid: string): RefreshGrant[] {
    return [...this.refreshTokens.values()].filter((g) => g.oid === oid);
  }
}
