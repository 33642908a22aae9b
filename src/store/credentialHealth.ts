// What the identity platform last said about the app's client credential, one row per credential in
// the `credentialhealth` table: the certificate version it last accepted (the one the app
// registration trusts) and the last refusal with its AADSTS code and reason. The token path writes
// it (only when something changed); the daily check and the status view read it. No secret, no
// assertion, no token: versions, thumbprints, dates and Microsoft's error code.
import type { TableClient } from '@azure/data-tables';
import { field, TableRepository } from './table';

export const CREDENTIAL_HEALTH_TABLE = 'credentialhealth';

export interface CredentialHealth {
  /** certificate | federated */
  kind: string;
  acceptedVersion?: string;
  acceptedThumbprint?: string;
  acceptedExpiresOn?: string;
  acceptedAt?: string;
  refusedVersion?: string;
  refusedCode?: string;
  refusedReason?: string;
  refusedAt?: string;
}

export interface CredentialHealthStore {
  get(name: string): Promise<CredentialHealth | undefined>;
  /** Replaces the row (last writer wins: every writer reports what Microsoft just answered). */
  put(name: string, health: CredentialHealth): Promise<void>;
}

const PARTITION = 'client-credential';

type Row = {
  kind: string;
  acceptedVersion?: string;
  acceptedThumbprint?: string;
  acceptedExpiresOn?: string;
  acceptedAt?: string;
  refusedVersion?: string;
  refusedCode?: string;
  refusedReason?: string;
  refusedAt?: string;
};

export class TableCredentialHealthStore implements CredentialHealthStore {
  private readonly repo: TableRepository<Row>;

  constructor(client: TableClient) {
    this.repo = new TableRepository<Row>(client, (raw) => ({
      kind: field.requiredString(raw, 'kind'),
      acceptedVersion: field.string(raw, 'acceptedVersion'),
      acceptedThumbprint: field.string(raw, 'acceptedThumbprint'),
      acceptedExpiresOn: field.string(raw, 'acceptedExpiresOn'),
      acceptedAt: field.string(raw, 'acceptedAt'),
      refusedVersion: field.string(raw, 'refusedVersion'),
      refusedCode: field.string(raw, 'refusedCode'),
      refusedReason: field.string(raw, 'refusedReason'),
      refusedAt: field.string(raw, 'refusedAt'),
    }));
  }

  async get(name: string): Promise<CredentialHealth | undefined> {
    return (await this.repo.get(PARTITION, name))?.value;
  }

  async put(name: string, health: CredentialHealth): Promise<void> {
    await this.repo.upsert(PARTITION, name, { ...health });
  }
}

export class MemoryCredentialHealthStore implements CredentialHealthStore {
  readonly rows = new Map<string, CredentialHealth>();
  async get(name: string): Promise<CredentialHealth | undefined> {
    return this.rows.get(name);
  }
  async put(name: string, health: CredentialHealth): Promise<void> {
    this.rows.set(name, { ...health });
  }
}
