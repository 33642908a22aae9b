// Who is calling and what they may touch. Tokens are resolved through the `authorize` hook (the
// identity emulator, or a test's table); scopes and app roles are checked the way Graph's
// permission reference describes for drive items.
import type { Authorize, Principal } from '../shared/principal';
import type { EmulatorRequest } from '../shared/server';
import { GraphError, accessDenied } from './errors';
import type { Drive } from './store';

const OWN_DRIVE_READ = [
  'files.read',
  'files.readwrite',
  'files.read.all',
  'files.readwrite.all',
  'sites.read.all',
  'sites.readwrite.all',
];
const OWN_DRIVE_WRITE = ['files.readwrite', 'files.readwrite.all', 'sites.readwrite.all'];
const ANY_DRIVE_READ = ['files.read.all', 'files.readwrite.all', 'sites.read.all', 'sites.readwrite.all'];
const ANY_DRIVE_WRITE = ['files.readwrite.all', 'sites.readwrite.all'];
const SITE_READ = ['sites.read.all', 'sites.readwrite.all', 'sites.manage.all', 'sites.fullcontrol.all'];

const WWW_AUTHENTICATE =
  'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"';

export function authenticate(req: EmulatorRequest, authorize: Authorize): Principal {
  const header = req.headers.authorization ?? '';
  const token = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
  const unauthorized = (message: string): GraphError =>
    new GraphError(401, 'InvalidAuthenticationToken', message, undefined, {
      'WWW-Authenticate': WWW_AUTHENTICATE,
    });
  if (!token) throw unauthorized('Access token is empty.');
  const principal = authorize(token);
  if (!principal) throw unauthorized('Access token validation failure. Invalid audience or expired token.');
  return principal;
}

function holds(principal: Principal, wanted: readonly string[]): boolean {
  return principal.scopes.some((s) => wanted.includes(s.toLowerCase()));
}

/** 403 accessDenied unless the caller may read (or write) this drive. */
export function requireDriveAccess(principal: Principal, drive: Drive, write: boolean): void {
  const ownDrive = !principal.appOnly && drive.ownerUserId === principal.oid;
  if (ownDrive) {
    if (holds(principal, write ? OWN_DRIVE_WRITE : OWN_DRIVE_READ)) return;
    throw accessDenied(`The token lacks ${write ? 'Files.ReadWrite' : 'Files.Read'} permission.`);
  }
  if (drive.driveType === 'personal') throw accessDenied('Access to this personal drive is denied.');
  if (!principal.appOnly && drive.ownerUserId)
    throw accessDenied("Access to another user's drive is denied.");
  if (principal.accountType === 'personal' && !principal.appOnly) {
    throw accessDenied('Personal accounts cannot reach SharePoint document libraries.');
  }
  if (holds(principal, write ? ANY_DRIVE_WRITE : ANY_DRIVE_READ)) return;
  throw accessDenied(
    `Either Files.${write ? 'ReadWrite' : 'Read'}.All or Sites.${write ? 'ReadWrite' : 'Read'}.All is required.`,
  );
}

export function requireSiteRead(principal: Principal): void {
  if (!principal.appOnly && principal.accountType === 'personal') {
    throw accessDenied('Personal accounts have no SharePoint sites.');
  }
  if (!holds(principal, [...SITE_READ, ...ANY_DRIVE_READ])) throw accessDenied('Sites.Read.All is required.');
}
