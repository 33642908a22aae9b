// Key Vault's RBAC data plane, reduced to what the product relies on: a principal holds data actions
// (the permissions of role definitions such as Key Vault Crypto User), each at vault scope or at one
// object's scope (`/keys/{name}`, `/certificates/{name}`, `/secrets/{name}`), as role assignments can
// be made on a single key ("Provide access to Key Vault keys, certificates, and secrets with Azure
// role-based access control"). A refusal is the service's 403 ForbiddenByRbac. Access policies (the
// older model) are not modelled.
import type { Principal } from '../shared/principal';
import { KeyVaultError } from './errors';

export const DATA_ACTIONS = {
  keysRead: 'Microsoft.KeyVault/vaults/keys/read',
  keysSign: 'Microsoft.KeyVault/vaults/keys/sign/action',
  certificatesRead: 'Microsoft.KeyVault/vaults/certificates/read',
  certificatesCreate: 'Microsoft.KeyVault/vaults/certificates/create/action',
  secretsGet: 'Microsoft.KeyVault/vaults/secrets/getSecret/action',
  secretsSet: 'Microsoft.KeyVault/vaults/secrets/setSecret/action',
  secretsReadMetadata: 'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
  secretsUpdate: 'Microsoft.KeyVault/vaults/secrets/update/action',
  secretsDelete: 'Microsoft.KeyVault/vaults/secrets/delete',
  secretsPurge: 'Microsoft.KeyVault/vaults/deletedSecrets/delete',
  secretsRecover: 'Microsoft.KeyVault/vaults/deletedSecrets/recover/action',
  secretsReadDeleted: 'Microsoft.KeyVault/vaults/deletedSecrets/read',
} as const;

export interface Grant {
  /** A data action, or `*` for all of them (Key Vault Administrator). */
  action: string;
  /** `/keys/{name}`, `/certificates/{name}` or `/secrets/{name}`; the whole vault when absent. */
  scope?: string;
}

/**
 * What a principal may do; undefined means everything (the emulator's default, and the local host's
 * own token, which stands in for a managed identity holding Key Vault Administrator).
 */
export type Permissions = (principal: Principal) => readonly Grant[] | undefined;

/** Role definitions the product's infrastructure assigns, by their data actions. */
export const ROLES = {
  /** Key Vault Crypto User (12338af0-0e69-4776-bea7-57ae8d297424): key operations, no secrets. */
  cryptoUser: [
    'Microsoft.KeyVault/vaults/keys/read',
    'Microsoft.KeyVault/vaults/keys/update/action',
    'Microsoft.KeyVault/vaults/keys/backup/action',
    'Microsoft.KeyVault/vaults/keys/encrypt/action',
    'Microsoft.KeyVault/vaults/keys/decrypt/action',
    'Microsoft.KeyVault/vaults/keys/wrap/action',
    'Microsoft.KeyVault/vaults/keys/unwrap/action',
    'Microsoft.KeyVault/vaults/keys/sign/action',
    'Microsoft.KeyVault/vaults/keys/verify/action',
  ],
  /** Key Vault Reader (21090545-7ca7-4776-b22c-e363652d74d2): metadata only, no secret values. */
  reader: [
    'Microsoft.KeyVault/vaults/certificates/read',
    'Microsoft.KeyVault/vaults/keys/read',
    'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
  ],
} as const;

/** Undefined when allowed, else the 403 to send. `path` is the object path, e.g. `/keys/app/abc`. */
export function authorizeAction(
  principal: Principal | undefined,
  permissions: Permissions | undefined,
  action: string,
  path: string,
): KeyVaultError | undefined {
  if (!principal || !permissions) return undefined;
  const grants = permissions(principal);
  if (!grants) return undefined;
  const objectScope = path.split('/').slice(0, 3).join('/').toLowerCase();
  const allowed = grants.some(
    (g) => (g.action === '*' || g.action === action) && (!g.scope || g.scope.toLowerCase() === objectScope),
  );
  if (allowed) return undefined;
  // The service's text (confirmed in public issue threads), trimmed of the vault's resource id.
  return new KeyVaultError(
    403,
    'Forbidden',
    'Caller is not authorized to perform action on resource.\r\n' +
      'If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\n' +
      `Caller: appid=${principal.appId};oid=${principal.oid}\r\n` +
      `Action: '${action}'\r\n` +
      `Resource: '${objectScope}'\r\n` +
      'Assignment: (not found)\r\n' +
      'DenyAssignmentId: null\r\n',
    'ForbiddenByRbac',
  );
}
