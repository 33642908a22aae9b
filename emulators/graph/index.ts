// A Microsoft Graph v1.0 drives emulator: users' OneDrives (personal and business), SharePoint
// sites and document libraries, items by id and by path, children paging, simple upload, upload
// sessions on a second host name, downloads with ranges, PATCH, copy, versions, delta, recycle bin,
// quota, OneDrive's name rules, and quickXorHash on every file. Fault injection comes from the
// shared server (`server.faults`). emulators/README.md lists what is and is not modelled.
import type { AccountType, Authorize } from '../shared/principal';
import { EmulatorServer } from '../shared/server';
import { installApiRoutes } from './routes';
import { installTransferRoutes } from './transferRoutes';
import { installControlRoutes } from './control';
import type { GraphContext } from './context';
import { jsonContext } from './context';
import { Directory, type User } from './directory';
import { DownloadLinks } from './downloads';
import { GraphError, errorResponse } from './errors';
import { driveItemJson } from './itemJson';
import { decodeSegments } from './names';
import { Sites, type SiteInit } from './sites';
import { DriveStore, type Drive } from './store';
import { DEFAULT_IDLE_MS, UploadSessions, type IdleTimeouts } from './uploadSessions';

export { FRAGMENT_MULTIPLE, MAX_FRAGMENT_BYTES } from './uploadSessions';
export { NAME_RULES, MAX_PATH_CHARS } from './names';

/** Graph's documented ceiling for PUT .../content. */
export const SIMPLE_UPLOAD_MAX_BYTES = 250 * 1024 * 1024;

export interface GraphEmulatorOptions {
  authorize: Authorize;
  /** Clock for session expiry, download links and timestamps; defaults to Date.now. */
  now?: () => number;
  /** Upload session idle timeouts in ms (defaults: personal one day, business 15 minutes). */
  sessionIdleMs?: Partial<IdleTimeouts>;
  /**
   * Simple upload limit; defaults to Graph's 250 MB. The shared server stops reading bodies at
   * 64 MiB (413), so tests lower this to see the Graph-level refusal.
   */
  simpleUploadMaxBytes?: number;
}

export type DriveItemJson = Record<string, unknown>;

export interface SessionInfo {
  id: string;
  driveId: string;
  /** Decoded target path, '/a/b.bin' (relative to the base item when created by item id). */
  path: string;
  received: number;
  total?: number;
  expiresAt: number;
}

export class GraphEmulator {
  readonly server = new EmulatorServer('graph');
  private readonly ctx: GraphContext;

  constructor(options: GraphEmulatorOptions) {
    const now = options.now ?? Date.now;
    const store = new DriveStore(now);
    this.ctx = {
      server: this.server,
      authorize: options.authorize,
      now,
      store,
      directory: new Directory(store),
      sites: new Sites(store, now),
      sessions: new UploadSessions(now, { ...DEFAULT_IDLE_MS, ...options.sessionIdleMs }),
      downloads: new DownloadLinks(now),
      simpleUploadMaxBytes: options.simpleUploadMaxBytes ?? SIMPLE_UPLOAD_MAX_BYTES,
      copyJobs: new Map(),
    };
    // The shared server's body cap, answered in Graph's error shape.
    this.server.tooLarge = (message, req) =>
      errorResponse(new GraphError(413, 'invalidRequest', message, 'requestTooLarge'), req);
    installApiRoutes(this.ctx);
    installTransferRoutes(this.ctx);
    installControlRoutes(this.ctx);
  }

  async start(port = 0): Promise<this> {
    await this.server.start(port);
    return this;
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  /** The API host, https://localhost:PORT (clients append /v1.0). */
  get baseUrl(): string {
    return this.server.baseUrl;
  }

  /** Registers a user so app-only tokens can reach /users/{upn|id}/drive. */
  addUser(user: {
    id: string;
    userPrincipalName: string;
    displayName?: string;
    mail?: string;
    accountType?: AccountType;
  }): User {
    return this.ctx.directory.add({
      displayName: user.userPrincipalName,
      accountType: 'work',
      mail: user.userPrincipalName,
      ...user,
    });
  }

  /** The drive id of a user (by id or UPN), creating the drive as first access would. */
  driveIdOf(userIdOrUpn: string): string {
    const user = this.ctx.directory.find(userIdOrUpn);
    if (!user) throw new Error(`Unknown user ${userIdOrUpn}`);
    return this.ctx.directory.driveOf(user).id;
  }

  addSite(site: SiteInit): { id: string; driveIds: string[] } {
    const added = this.ctx.sites.add(site);
    return { id: added.id, driveIds: [...added.driveIds] };
  }

  setQuota(driveId: string, totalBytes: number): void {
    this.ctx.store.setQuota(this.drive(driveId), totalBytes);
  }

  /** Turns SharePoint's rewrite of uploaded Office documents on or off for one drive. */
  setOfficeRewrite(driveId: string, enabled: boolean): void {
    this.ctx.store.setOfficeRewrite(this.drive(driveId), enabled);
  }

  /** A file by decoded path ('/a/b.txt' or 'a/b.txt'), with its driveItem JSON and bytes. */
  file(driveId: string, path: string): { item: DriveItemJson; content: Buffer } | undefined {
    const drive = this.drive(driveId);
    try {
      const item = this.ctx.store.resolve(drive.root, path.split('/').filter(Boolean));
      if (item.kind !== 'file') return undefined;
      return { item: driveItemJson(item, jsonContext(this.ctx)), content: item.content! };
    } catch {
      return undefined;
    }
  }

  listFiles(driveId: string): Array<{ path: string; item: DriveItemJson; content: Buffer }> {
    return this.ctx.store.files(this.drive(driveId)).map(({ path, item }) => ({
      path,
      item: driveItemJson(item, jsonContext(this.ctx)),
      content: item.content!,
    }));
  }

  recycleBin(
    driveId: string,
  ): Array<{ path: string; id: string; kind: 'file' | 'folder'; deletedAt: number }> {
    return this.drive(driveId).recycleBin.map((r) => ({
      path: r.path,
      id: r.item.id,
      kind: r.item.kind,
      deletedAt: r.deleted,
    }));
  }

  sessions(): SessionInfo[] {
    return this.ctx.sessions.list().map((s) => ({
      id: s.id,
      driveId: s.target.drive.id,
      path: `/${[...s.target.folders, s.target.name].join('/')}`,
      received: s.received,
      total: s.total,
      expiresAt: s.expiresAt,
    }));
  }

  expireSession(id: string): void {
    this.ctx.sessions.expire(id);
  }

  expireAllSessions(): void {
    this.ctx.sessions.expireAll();
  }

  private drive(driveId: string): Drive {
    const drive = this.ctx.store.drive(driveId);
    if (!drive) throw new Error(`Unknown drive ${driveId}`);
    return drive;
  }
}

/** Encodes a decoded path segment-wise for a Graph URL: 'a b/c#.txt' → 'a%20b/c%23.txt'. */
export function encodeDrivePath(path: string): string {
  return path
    .split('/')
    .filter(Boolean)
    .map((s) => encodeURIComponent(s))
    .join('/');
}

// Re-exported so tests and the local host decode paths exactly as the emulator does.
export { decodeSegments };
