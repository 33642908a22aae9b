// Validation of the admin API's connection input: each problem is a 400 naming the field and the rule.
import { validationError } from '../errors';
import { pathSegments } from '../graph/drives';
import type { AuthMode, Connection, DriveType } from '../store/connections';
import { CLOUD_NAMES, isCloudName, validateTenant, type CloudName } from '../config/clouds';
import { driveIdProblem, drivePathProblem } from '../store/driveInput';

export interface ConnectionInput {
  name?: string;
  cloud?: CloudName;
  tenant?: string;
  authMode?: AuthMode;
  clientId?: string;
  /** Only on input: goes to Key Vault, never to the table or a response. */
  clientSecret?: string;
  driveType?: DriveType;
  driveId?: string;
  siteId?: string;
  targetUser?: string;
  rootFolder?: string;
}

const DRIVE_TYPES: readonly DriveType[] = ['personal', 'business', 'sharepoint'];
const AUTH_MODES: readonly AuthMode[] = ['delegated', 'app-only'];
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UPN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const KNOWN = new Set([
  'name',
  'cloud',
  'tenant',
  'authMode',
  'clientId',
  'clientSecret',
  'driveType',
  'driveId',
  'siteId',
  'targetUser',
  'rootFolder',
]);

function optionalString(body: Record<string, unknown>, key: string, max = 400): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw validationError(key, 'a string');
  if (value.length > max) throw validationError(key, `at most ${max} characters`);
  return value.trim();
}

/** An opaque Graph id: checked before trimming, since a space at either end is not part of any id. */
function optionalId(body: Record<string, unknown>, key: string, max: number): string | undefined {
  const raw = body[key];
  if (typeof raw === 'string' && raw !== '') {
    const problem = driveIdProblem(raw);
    if (problem) throw validationError(key, `an id that ${problem.replace(/^must /, 'does ')}`);
  }
  return optionalString(body, key, max);
}

export { parseJsonObject } from '../http/json';

/** Parses and checks the fields present; `creating` also requires and defaults the rest. */
export function parseConnectionInput(body: Record<string, unknown>): ConnectionInput {
  for (const key of Object.keys(body))
    if (!KNOWN.has(key)) throw validationError(key, `unknown field (allowed: ${[...KNOWN].join(', ')})`);
  const input: ConnectionInput = {};
  const name = optionalString(body, 'name', 100);
  if (name !== undefined) {
    if (!name) throw validationError('name', 'a non-empty name of at most 100 characters');
    input.name = name;
  }
  const cloud = optionalString(body, 'cloud');
  if (cloud !== undefined) {
    if (!isCloudName(cloud)) throw validationError('cloud', `one of ${CLOUD_NAMES.join(', ')}`);
    input.cloud = cloud;
  }
  input.tenant = optionalString(body, 'tenant', 253);
  const authMode = optionalString(body, 'authMode');
  if (authMode !== undefined) {
    if (!AUTH_MODES.includes(authMode as AuthMode))
      throw validationError('authMode', `one of ${AUTH_MODES.join(', ')}`);
    input.authMode = authMode as AuthMode;
  }
  const clientId = optionalString(body, 'clientId');
  if (clientId !== undefined && clientId !== '' && !GUID.test(clientId))
    throw validationError('clientId', 'the Application (client) ID, a GUID');
  input.clientId = clientId;
  const clientSecret = body.clientSecret;
  if (clientSecret !== undefined && clientSecret !== null) {
    if (typeof clientSecret !== 'string' || clientSecret.length < 8 || clientSecret.length > 1024)
      throw validationError('clientSecret', 'the client secret Value, 8 to 1024 characters');
    input.clientSecret = clientSecret;
  }
  const driveType = optionalString(body, 'driveType');
  if (driveType !== undefined) {
    if (!DRIVE_TYPES.includes(driveType as DriveType))
      throw validationError('driveType', `one of ${DRIVE_TYPES.join(', ')}`);
    input.driveType = driveType as DriveType;
  }
  input.driveId = optionalId(body, 'driveId', 200);
  input.siteId = optionalId(body, 'siteId', 400);
  const targetUser = optionalString(body, 'targetUser', 256);
  if (targetUser && !UPN.test(targetUser))
    throw validationError('targetUser', 'a user principal name like ana@contoso.com');
  input.targetUser = targetUser;
  const rootFolder = optionalString(body, 'rootFolder', 400);
  if (rootFolder !== undefined) {
    if (!rootFolder.startsWith('/')) throw validationError('rootFolder', 'a path that starts with /');
    const problem = drivePathProblem(rootFolder);
    if (problem) throw validationError('rootFolder', problem.replace(/^must /, 'a path that does '));
    input.rootFolder = '/' + pathSegments(rootFolder, 'rootFolder').join('/');
  }
  return input;
}

/** Rules that involve several fields, checked on the connection as it will be stored. */
export function checkConnection(connection: Connection, input: ConnectionInput): void {
  validateTenant(connection.tenant, connection.cloud);
  if (connection.clientId && !connection.hasOwnClientSecret && !input.clientSecret)
    throw validationError(
      'clientSecret',
      'required with clientId (your own app registration needs its secret)',
    );
  if (input.clientSecret && !connection.clientId)
    throw validationError(
      'clientId',
      'required with clientSecret (the secret belongs to an app registration)',
    );
  if (connection.authMode === 'app-only') {
    if (['common', 'consumers', 'organizations'].includes(connection.tenant))
      throw validationError(
        'tenant',
        'app-only connections need the tenant id or domain of the organization',
      );
    if (connection.driveType === 'personal')
      throw validationError(
        'driveType',
        'business or sharepoint: app-only access cannot reach personal OneDrives',
      );
    if (connection.driveType === 'business' && !connection.targetUser && !connection.driveId)
      throw validationError(
        'targetUser',
        'required for app-only business connections (whose OneDrive to use)',
      );
    if (connection.driveType === 'sharepoint' && !connection.siteId && !connection.driveId)
      throw validationError('siteId', 'required for app-only SharePoint connections (which site)');
  }
  if (connection.driveType === 'personal' && connection.cloud !== 'global')
    throw validationError(
      'driveType',
      'business or sharepoint: personal OneDrives exist only in the global cloud',
    );
  if (connection.driveType === 'personal' && connection.tenant === 'organizations')
    throw validationError('tenant', 'personal drives need consumers or common, not organizations');
}
