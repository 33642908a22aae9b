// OAuth `state` values: single use, 10-minute life, bound to one connection. The row key is the
// SHA-256 of the state, so the table never holds a usable state; the PKCE verifier is not stored at
// all (it is derived from the state with a Key Vault key, see src/auth/pkce.ts). Consumption is an
// ETag-conditioned merge, so of two callbacks racing with the same state exactly one wins.
import { createHash } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import { isAppError } from '../errors';
import { field, TableRepository } from './table';

export const OAUTH_STATES_TABLE = 'oauthstates';
export const STATE_LIFETIME_MS = 10 * 60 * 1000;
const PARTITION = 'state';

export interface OAuthState {
  connectionId: string;
  /** Key Vault version of the HMAC key the verifier was derived with. */
  keyVersion: string;
  /** Re-authorization (prompt=consent) rather than a first sign-in. */
  reauthorize: boolean;
  redirectUri: string;
  createdAt: string;
  expiresAt: string;
  consumed: boolean;
  consumedAt?: string;
}

/** Why a state was refused; each has its own explanation on the result page. */
export type StateProblem = 'missing' | 'unknown' | 'replayed' | 'expired';

export type ConsumeResult = { ok: true; state: OAuthState } | { ok: false; problem: StateProblem };

export function hashState(state: string): string {
  return createHash('sha256').update(state, 'utf8').digest('hex');
}

function decode(raw: Record<string, unknown>): OAuthState {
  return {
    connectionId: field.requiredString(raw, 'connectionId'),
    keyVersion: field.requiredString(raw, 'keyVersion'),
    reauthorize: field.boolean(raw, 'reauthorize'),
    redirectUri: field.requiredString(raw, 'redirectUri'),
    createdAt: field.requiredString(raw, 'createdAt'),
    expiresAt: field.requiredString(raw, 'expiresAt'),
    consumed: field.boolean(raw, 'consumed'),
    consumedAt: field.string(raw, 'consumedAt'),
  };
}

type StateFields = OAuthState & Record<string, string | boolean | undefined>;

export class OAuthStateStore {
  private readonly repo: TableRepository<StateFields>;

  constructor(
    client: TableClient,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.repo = new TableRepository<StateFields>(client, (raw) => decode(raw) as StateFields);
  }

  async create(
    state: string,
    fields: Pick<OAuthState, 'connectionId' | 'keyVersion' | 'reauthorize' | 'redirectUri'>,
  ): Promise<OAuthState> {
    const createdAt = this.now();
    const row: OAuthState = {
      ...fields,
      createdAt: createdAt.toISOString(),
      expiresAt: new Date(createdAt.getTime() + STATE_LIFETIME_MS).toISOString(),
      consumed: false,
    };
    await this.repo.insert(PARTITION, hashState(state), row as StateFields);
    return row;
  }

  /** Checks the state and marks it used, atomically. Nothing changes when it is refused. */
  async consume(state: string | undefined | null): Promise<ConsumeResult> {
    if (!state) return { ok: false, problem: 'missing' };
    const key = hashState(state);
    const stored = await this.repo.get(PARTITION, key);
    if (!stored) return { ok: false, problem: 'unknown' };
    if (stored.value.consumed) return { ok: false, problem: 'replayed' };
    const now = this.now();
    if (now.getTime() >= Date.parse(stored.value.expiresAt)) return { ok: false, problem: 'expired' };
    try {
      await this.repo.merge(PARTITION, key, { consumed: true, consumedAt: now.toISOString() }, stored.etag);
    } catch (error) {
      // Someone else consumed it between our read and our write: for us it is a replay.
      if (isAppError(error, 'Conflict')) return { ok: false, problem: 'replayed' };
      throw error;
    }
    return { ok: true, state: { ...stored.value, consumed: true } };
  }

  /** Deletes states that expired more than a day ago (kept that long so a late replay is named as one). */
  async purgeExpired(): Promise<number> {
    const cutoff = this.now().getTime() - 24 * 3600 * 1000;
    let removed = 0;
    for (const row of await this.repo.listPartition(PARTITION)) {
      if (Date.parse(row.value.expiresAt) < cutoff && (await this.repo.delete(PARTITION, row.rowKey)))
        removed++;
    }
    return removed;
  }
}
