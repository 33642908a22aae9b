// Users and their OneDrives. Users come from the tokens that call (delegated principals register
// themselves) or from tests (addUser, so app-only calls can reach /users/{upn}/drive). A user's
// drive is made on first access: personal accounts get a 'personal' drive, work accounts 'business'.
import type { AccountType, Principal } from '../shared/principal';
import type { Drive, DriveStore } from './store';

export interface User {
  id: string;
  userPrincipalName: string;
  displayName: string;
  mail?: string;
  accountType: AccountType;
  driveId?: string;
}

export class Directory {
  private readonly users = new Map<string, User>();

  constructor(private readonly store: DriveStore) {}

  add(user: Omit<User, 'driveId'>): User {
    const existing = this.users.get(user.id);
    const merged: User = { ...existing, ...user };
    this.users.set(user.id, merged);
    return merged;
  }

  /** The user a delegated token speaks for, registered on first sight. */
  fromPrincipal(principal: Principal): User {
    const known = this.users.get(principal.oid);
    if (known) return known;
    const upn = principal.upn ?? `${principal.oid}@example.com`;
    return this.add({
      id: principal.oid,
      userPrincipalName: upn,
      displayName: principal.displayName ?? upn,
      mail: upn,
      accountType: principal.accountType,
    });
  }

  /** By object id or (case-insensitively) by user principal name. */
  find(idOrUpn: string): User | undefined {
    const direct = this.users.get(idOrUpn);
    if (direct) return direct;
    const upn = idOrUpn.toLowerCase();
    return [...this.users.values()].find((u) => u.userPrincipalName.toLowerCase() === upn);
  }

  driveOf(user: User): Drive {
    const existing = user.driveId ? this.store.drive(user.driveId) : undefined;
    if (existing) return existing;
    const personal = user.accountType === 'personal';
    const drive = this.store.createDrive({
      driveType: personal ? 'personal' : 'business',
      name: 'OneDrive',
      webUrl: personal
        ? `https://onedrive.live.com/?id=root&cid=${user.id}`
        : `https://contoso-my.sharepoint.com/personal/${user.userPrincipalName.replace(/[@.]/g, '_')}/Documents`,
      owner: { user: { id: user.id, displayName: user.displayName, email: user.mail } },
      ownerUserId: user.id,
    });
    user.driveId = drive.id;
    return drive;
  }

  json(user: User): Record<string, unknown> {
    return {
      id: user.id,
      displayName: user.displayName,
      userPrincipalName: user.userPrincipalName,
      mail: user.mail ?? null,
    };
  }
}
