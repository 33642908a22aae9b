// Connections: the OneDrive or SharePoint destinations, one row each in the `connections` table.
// No secret lives here: a connection's refresh token and its own app's client secret are in Key Vault
// under names derived from the id (src/secrets/names.ts).
import type { CloudName } from '../config/clouds';
import { AppError } from '../errors';
import { againOnConflict, field, TableRepository, type Stored } from './table';
import type { TableClient } from '@azure/data-tables';

export type DriveType = 'personal' | 'business' | 'sharepoint';
export type ConnectionStatus = 'new' | 'authorized' | 'reauth-required' | 'error';
/** Delegated: a person signs in (refresh token). App-only: client credentials, no refresh token. */
export type AuthMode = 'delegated' | 'app-only';

export interface Connection {
  id: string;
  name: string;
  cloud: CloudName;
  tenant: string;
  authMode: AuthMode;
  /** The connection's own app registration; undefined means the default app from settings. */
  clientId?: string;
  /** True when the connection's own client secret is stored in Key Vault. */
  hasOwnClientSecret: boolean;
  driveType: DriveType;
  driveId?: string;
  /** SharePoint site id (drive type sharepoint). */
  siteId?: string;
  /** App-only connections to a user's OneDrive: the user's principal name. */
  targetUser?: string;
  rootFolder: string;
  status: ConnectionStatus;
  /** Stable code of the last problem (e.g. AADSTS70008, invalid_grant). */
  statusCode?: string;
  statusReason?: string;
  advice?: string;
  accountName?: string;
  accountUpn?: string;
  /** ISO timestamps. */
  authorizedAt?: string;
  lastRefreshAt?: string;
  createdAt: string;
  updatedAt: string;
}

const PARTITION = 'connection';
export const CONNECTIONS_TABLE = 'connections';

function decode(raw: Record<string, unknown>): Connection {
  return {
    id: field.requiredString(raw, 'id'),
    name: field.requiredString(raw, 'name'),
    cloud: field.requiredString(raw, 'cloud', 'global') as CloudName,
    tenant: field.requiredString(raw, 'tenant', 'common'),
    authMode: field.requiredString(raw, 'authMode', 'delegated') as AuthMode,
    clientId: field.string(raw, 'clientId'),
    hasOwnClientSecret: field.boolean(raw, 'hasOwnClientSecret'),
    driveType: field.requiredString(raw, 'driveType', 'personal') as DriveType,
    driveId: field.string(raw, 'driveId'),
    siteId: field.string(raw, 'siteId'),
    targetUser: field.string(raw, 'targetUser'),
    rootFolder: field.requiredString(raw, 'rootFolder', '/'),
    status: field.requiredString(raw, 'status', 'new') as ConnectionStatus,
    statusCode: field.string(raw, 'statusCode'),
    statusReason: field.string(raw, 'statusReason'),
    advice: field.string(raw, 'advice'),
    accountName: field.string(raw, 'accountName'),
    accountUpn: field.string(raw, 'accountUpn'),
    authorizedAt: field.string(raw, 'authorizedAt'),
    lastRefreshAt: field.string(raw, 'lastRefreshAt'),
    createdAt: field.requiredString(raw, 'createdAt'),
    updatedAt: field.requiredString(raw, 'updatedAt'),
  };
}

type ConnectionFields = Connection & Record<string, string | boolean | undefined>;

export class ConnectionStore {
  private readonly repo: TableRepository<ConnectionFields>;

  constructor(client: TableClient) {
    this.repo = new TableRepository<ConnectionFields>(client, (raw) => decode(raw) as ConnectionFields);
  }

  async get(id: string): Promise<Connection | undefined> {
    return (await this.repo.get(PARTITION, id))?.value;
  }

  async getWithEtag(id: string): Promise<Stored<Connection> | undefined> {
    return this.repo.get(PARTITION, id);
  }

  async require(id: string): Promise<Connection> {
    const connection = await this.get(id);
    if (!connection) throw new AppError('NotFound', `No connection with id '${id}'`, { field: 'id' });
    return connection;
  }

  async create(connection: Connection): Promise<void> {
    await this.repo.insert(PARTITION, connection.id, connection as ConnectionFields);
  }

  /**
   * Applies a patch; a key present with the value undefined removes that field (a Table merge cannot
   * remove a property, so this reads, patches and replaces, guarded by the ETag and retried on a race).
   */
  async update(id: string, patch: Partial<Connection>): Promise<Connection> {
    return againOnConflict(async () => {
      const current = await this.repo.get(PARTITION, id);
      if (!current) throw new AppError('NotFound', `No connection with id '${id}'`, { field: 'id' });
      const next = { ...current.value, ...patch, id, updatedAt: new Date().toISOString() };
      await this.repo.replace(PARTITION, id, next as ConnectionFields, current.etag);
      return next;
    });
  }

  async list(): Promise<Connection[]> {
    const rows = await this.repo.listPartition(PARTITION);
    return rows.map((r) => r.value).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async delete(id: string): Promise<boolean> {
    return this.repo.delete(PARTITION, id);
  }
}

/** What the auth services need from the connections table (tests may pass an in-memory one). */
export type ConnectionRepository = Pick<ConnectionStore, 'get' | 'require' | 'update' | 'list'>;
