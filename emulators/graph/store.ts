// The drives and their item trees: folders, files with content, the recycle bin, quota. Everything
// that changes what a drive holds goes through here, so the rules (case-insensitive names,
// conflict behaviours, name and path limits, quota) are applied the same way by simple uploads,
// upload sessions and folder creation.
import { randomBytes } from 'node:crypto';
import { GraphError, notFound } from './errors';
import { quickXorHash } from './hash';
import { checkName, checkPathLength, numberedName, type ItemKind } from './names';
import { promoteProperties } from './officeRewrite';

export type DriveType = 'personal' | 'business' | 'documentLibrary';
export type ConflictBehavior = 'fail' | 'rename' | 'replace';

export interface Identity {
  id: string;
  displayName: string;
  email?: string;
}

export interface Drive {
  id: string;
  driveType: DriveType;
  name: string;
  webUrl: string;
  owner: { user?: Identity; group?: Identity };
  /** The user whose OneDrive this is (absent for document libraries). */
  ownerUserId?: string;
  siteId?: string;
  quotaTotal: number;
  created: number;
  root: Item;
  recycleBin: RecycledItem[];
  /** Whether Office documents are rewritten after upload, as SharePoint's property promotion does. */
  rewritesOfficeDocuments: boolean;
  /** Last change number handed out on this drive; delta tokens are change numbers. */
  changeSeq: number;
  /** Items removed from the drive (deleted or moved off it), for delta. */
  tombstones: Tombstone[];
}

export interface Tombstone {
  id: string;
  name: string;
  kind: ItemKind;
  parentId: string;
  seq: number;
}

/** A file's client-side dates (what OneDrive shows); set by the uploader, else the upload time. */
export interface FileSystemInfo {
  created: number;
  modified: number;
}

/** An earlier content of a file, kept when the content is replaced (and counted against quota). */
export interface FileVersion {
  id: string;
  content: Buffer;
  modified: number;
}

export interface Item {
  id: string;
  name: string;
  kind: ItemKind;
  drive: Drive;
  parent?: Item;
  /** Folders only; keyed by lower-cased name because OneDrive names are case-insensitive. */
  children?: Map<string, Item>;
  /** Files only. */
  content?: Buffer;
  quickXorHash?: string;
  created: number;
  modified: number;
  fileSystemInfo: FileSystemInfo;
  /** Bumped on every change, metadata or content; feeds eTag. */
  version: number;
  /** Bumped when the content changes (and, for folders, their children); feeds cTag. */
  contentVersion: number;
  /** Change number of the last change, for delta. */
  changeSeq: number;
  /** Files only: earlier contents, oldest first. */
  versions?: FileVersion[];
}

export interface RecycledItem {
  item: Item;
  /** Decoded path the item had, '/a/b.txt'. */
  path: string;
  deleted: number;
}

export interface WriteResult {
  item: Item;
  /** True when a new item was made (201), false when an existing file was replaced (200). */
  created: boolean;
}

const DEFAULT_QUOTA = 1024 ** 4;

export interface MoveRequest {
  name?: string;
  parent?: Item;
  fileSystemInfo?: Partial<FileSystemInfo>;
}

export class DriveStore {
  private readonly drives = new Map<string, Drive>();
  private readonly items = new Map<string, Item>();
  /** Every item id ever handed out: Graph never gives a new item the id of another, live or gone. */
  private readonly issuedIds = new Set<string>();
  private itemCounter = 0;

  constructor(private readonly now: () => number) {}

  createDrive(
    init: Pick<Drive, 'driveType' | 'name' | 'webUrl' | 'owner' | 'ownerUserId' | 'siteId'> & {
      quotaTotal?: number;
    },
  ): Drive {
    const id =
      init.driveType === 'personal'
        ? randomBytes(8).toString('hex')
        : `b!${randomBytes(48).toString('base64url')}`;
    const drive = {
      ...init,
      id,
      quotaTotal: init.quotaTotal ?? DEFAULT_QUOTA,
      created: this.now(),
      recycleBin: [],
      // SharePoint and OneDrive for Business rewrite Office documents after upload (property
      // promotion); OneDrive personal does not. Tests can switch it per drive.
      rewritesOfficeDocuments: init.driveType !== 'personal',
      changeSeq: 0,
      tombstones: [],
    } as unknown as Drive;
    drive.root = this.newItem(drive, 'root', 'folder', undefined);
    this.drives.set(id, drive);
    return drive;
  }

  drive(id: string): Drive | undefined {
    return this.drives.get(id);
  }

  item(drive: Drive, id: string): Item {
    const item = this.items.get(id);
    if (!item || item.drive !== drive) throw notFound('Item does not exist');
    return item;
  }

  /** Follows decoded path segments from `base`; 404 itemNotFound when any is missing. */
  resolve(base: Item, segments: readonly string[]): Item {
    let item = base;
    for (const name of segments) {
      const next = item.children?.get(name.toLowerCase());
      if (!next) throw notFound('Item does not exist');
      item = next;
    }
    return item;
  }

  /** Decoded path of an item relative to the root, '' for the root, '/a/b' otherwise. */
  pathOf(item: Item): string {
    const names: string[] = [];
    for (let at: Item | undefined = item; at?.parent; at = at.parent) names.unshift(at.name);
    return names.length ? `/${names.join('/')}` : '';
  }

  /** Children in a stable order (case-insensitive name), which is what makes paging deterministic. */
  children(folder: Item): Item[] {
    if (folder.kind !== 'folder') throw new GraphError(400, 'invalidRequest', 'Item is not a folder');
    return [...folder.children!.values()].sort((a, b) =>
      a.name.toLowerCase() < b.name.toLowerCase() ? -1 : a.name.toLowerCase() > b.name.toLowerCase() ? 1 : 0,
    );
  }

  /** Walks `segments` from `base`, creating folders that are missing (as a simple upload does). */
  ensureFolders(base: Item, segments: readonly string[]): Item {
    let folder = base;
    for (const name of segments) {
      const existing = folder.children?.get(name.toLowerCase());
      if (existing && existing.kind === 'file') {
        throw new GraphError(409, 'nameAlreadyExists', `"${name}" is a file, not a folder`);
      }
      folder = existing ?? this.createFolder(folder, name, 'fail').item;
    }
    return folder;
  }

  createFolder(parent: Item, name: string, conflict: ConflictBehavior): WriteResult {
    this.checkTarget(parent, name, 'folder');
    const { name: finalName, existing } = this.placeName(parent, name, 'folder', conflict);
    if (existing) this.recycle(existing);
    const item = this.newItem(parent.drive, finalName, 'folder', parent);
    return { item, created: true };
  }

  /**
   * Creates or replaces the file `name` under `parent`; quota and conflict rules apply. A replaced
   * file keeps its old content as a version, so replacing never frees quota.
   */
  writeFile(
    parent: Item,
    name: string,
    content: Buffer,
    conflict: ConflictBehavior,
    fileSystemInfo?: Partial<FileSystemInfo>,
  ): WriteResult {
    this.checkTarget(parent, name, 'file');
    const { name: finalName, existing } = this.placeName(parent, name, 'file', conflict);
    const stored = this.storedForm(parent.drive, name, content);
    if (existing?.kind === 'file') {
      this.replaceContent(existing, content, fileSystemInfo);
      return { item: existing, created: false };
    }
    // A folder replaced by the file goes to the recycle bin, which still counts against quota.
    this.checkQuota(parent.drive, stored.length);
    if (existing) this.recycle(existing);
    const item = this.newItem(parent.drive, finalName, 'file', parent);
    item.content = stored;
    item.quickXorHash = quickXorHash([stored]);
    item.versions = [];
    this.setFileSystemInfo(item, fileSystemInfo);
    return { item, created: true };
  }

  /** New content for an existing file; the previous content becomes a version. */
  replaceContent(item: Item, content: Buffer, fileSystemInfo?: Partial<FileSystemInfo>): void {
    if (item.kind !== 'file') throw new GraphError(400, 'invalidRequest', 'Cannot write content to a folder');
    const stored = this.storedForm(item.drive, item.name, content);
    this.checkQuota(item.drive, stored.length);
    item.versions!.push({ id: this.versionId(item), content: item.content!, modified: item.modified });
    item.content = stored;
    item.quickXorHash = quickXorHash([stored]);
    this.touch(item, true);
    // Without client dates, OneDrive dates the new content at upload time.
    this.setFileSystemInfo(item, { created: item.fileSystemInfo.created, ...fileSystemInfo });
  }

  /** PATCH: rename, move within the drive, set fileSystemInfo. Names stay unique in a folder. */
  update(item: Item, change: MoveRequest): void {
    if (!item.parent && (change.name !== undefined || change.parent)) {
      throw new GraphError(400, 'invalidRequest', 'The root cannot be renamed or moved.');
    }
    const parent = change.parent ?? item.parent;
    const name = change.name ?? item.name;
    if (parent && (parent !== item.parent || name !== item.name)) {
      if (parent.drive !== item.drive)
        throw new GraphError(400, 'invalidRequest', 'Moves stay on one drive.');
      for (let at: Item | undefined = parent; at; at = at.parent) {
        if (at === item) throw new GraphError(400, 'invalidRequest', 'An item cannot move into itself.');
      }
      this.checkTarget(parent, name, item.kind);
      const clash = parent.children!.get(name.toLowerCase());
      if (clash && clash !== item) {
        throw new GraphError(409, 'nameAlreadyExists', `An item named "${clash.name}" already exists.`);
      }
      const old = item.parent!;
      old.children!.delete(item.name.toLowerCase());
      this.touch(old, true);
      item.name = name;
      item.parent = parent;
      parent.children!.set(name.toLowerCase(), item);
      this.touch(parent, true);
    }
    if (change.fileSystemInfo)
      this.setFileSystemInfo(item, { ...item.fileSystemInfo, ...change.fileSystemInfo });
    this.touch(item, false);
  }

  /** A copy of `source` (and everything under it) named `name` under `parent`: new ids, one version. */
  copy(source: Item, parent: Item, name: string): Item {
    this.checkTarget(parent, name, source.kind);
    if (parent.children!.has(name.toLowerCase())) {
      throw new GraphError(409, 'nameAlreadyExists', `An item named "${name}" already exists.`);
    }
    for (let at: Item | undefined = parent; at; at = at.parent) {
      if (at === source)
        throw new GraphError(400, 'invalidRequest', 'A folder cannot be copied into itself.');
    }
    this.checkQuota(parent.drive, bytesUnder(source, false));
    const clone = (from: Item, into: Item, as: string): Item => {
      const item = this.newItem(into.drive, as, from.kind, into);
      if (from.kind === 'file') {
        item.content = from.content;
        item.quickXorHash = from.quickXorHash;
        item.versions = [];
      } else {
        for (const child of from.children!.values()) clone(child, item, child.name);
      }
      this.setFileSystemInfo(item, from.fileSystemInfo);
      return item;
    };
    return clone(source, parent, name);
  }

  /** DELETE: the item and everything under it go to the drive's recycle bin. */
  recycle(item: Item): void {
    if (!item.parent) throw new GraphError(403, 'accessDenied', 'The root cannot be deleted');
    const path = this.pathOf(item);
    this.detach(item);
    item.drive.recycleBin.push({ item, path, deleted: this.now() });
  }

  /** permanentDelete: gone without passing through the recycle bin. */
  destroy(item: Item): void {
    if (!item.parent) throw new GraphError(403, 'accessDenied', 'The root cannot be deleted');
    this.detach(item);
  }

  /**
   * Bytes held by live files, their kept versions and the recycle bin (all of which count against
   * quota, as in OneDrive).
   */
  usage(drive: Drive): { used: number; deleted: number } {
    const deleted = drive.recycleBin.reduce((n, r) => n + bytesUnder(r.item), 0);
    return { used: bytesUnder(drive.root) + deleted, deleted };
  }

  setQuota(drive: Drive, total: number): void {
    drive.quotaTotal = total;
  }

  setOfficeRewrite(drive: Drive, enabled: boolean): void {
    drive.rewritesOfficeDocuments = enabled;
  }

  /** Every live item below `folder` (not the folder itself), parents before their children. */
  descendants(folder: Item): Item[] {
    const out: Item[] = [];
    const walk = (at: Item): void => {
      for (const child of this.children(at)) {
        out.push(child);
        if (child.kind === 'folder') walk(child);
      }
    };
    walk(folder);
    return out;
  }

  /** Every live file with its decoded path, for tests. */
  files(drive: Drive): Array<{ path: string; item: Item }> {
    const out: Array<{ path: string; item: Item }> = [];
    const walk = (folder: Item): void => {
      for (const child of this.children(folder)) {
        if (child.kind === 'file') out.push({ path: this.pathOf(child), item: child });
        else walk(child);
      }
    };
    walk(drive.root);
    return out;
  }

  checkQuota(drive: Drive, extraBytes: number): void {
    if (extraBytes <= 0) return;
    const { used } = this.usage(drive);
    if (used + extraBytes > drive.quotaTotal) {
      throw new GraphError(
        507,
        'quotaLimitReached',
        `Insufficient Space Available: ${drive.quotaTotal - used} bytes remain, ${extraBytes} needed.`,
      );
    }
  }

  /** Name rules and the 400-character path limit for a new child `name` of `parent`. */
  checkTarget(parent: Item, name: string, kind: ItemKind): void {
    checkName(name, kind);
    if (parent.kind !== 'folder') throw new GraphError(400, 'invalidRequest', 'The parent is not a folder');
    checkPathLength(`${this.pathOf(parent)}/${name}`.slice(1));
  }

  private placeName(
    parent: Item,
    name: string,
    kind: ItemKind,
    conflict: ConflictBehavior,
  ): { name: string; existing?: Item } {
    const existing = parent.children!.get(name.toLowerCase());
    if (!existing) return { name };
    if (conflict === 'replace') return { name, existing };
    if (conflict === 'rename') {
      for (let n = 1; ; n++) {
        const candidate = numberedName(name, kind, n);
        if (!parent.children!.has(candidate.toLowerCase())) return { name: candidate };
      }
    }
    throw new GraphError(409, 'nameAlreadyExists', `An item named "${existing.name}" already exists.`);
  }

  private newItem(drive: Drive, name: string, kind: ItemKind, parent: Item | undefined): Item {
    const at = this.now();
    const item: Item = {
      id: this.newItemId(drive),
      name,
      kind,
      drive,
      parent,
      created: at,
      modified: at,
      fileSystemInfo: { created: at, modified: at },
      version: 1,
      contentVersion: 1,
      changeSeq: ++drive.changeSeq,
      ...(kind === 'folder' ? { children: new Map<string, Item>() } : {}),
    };
    this.items.set(item.id, item);
    if (parent) {
      parent.children!.set(name.toLowerCase(), item);
      this.touch(parent, true);
    }
    return item;
  }

  private newItemId(drive: Drive): string {
    // Personal ids look like "A1B2C3D4E5F6A7B8!123", business ids like "01ABC...": a real client
    // must treat both as opaque, and the '!' checks that it percent-encodes or passes them safely.
    // The counter only grows and every id is remembered, so no id is ever handed out twice.
    for (;;) {
      const id =
        drive.driveType === 'personal'
          ? `${drive.id.toUpperCase()}!${++this.itemCounter}`
          : `01${randomBytes(20).toString('base64url').toUpperCase().replace(/[-_]/g, 'Z').slice(0, 32)}`;
      if (!this.issuedIds.has(id)) {
        this.issuedIds.add(id);
        return id;
      }
    }
  }

  /** What the drive keeps for uploaded bytes: SharePoint rewrites Office documents when asked to. */
  private storedForm(drive: Drive, name: string, content: Buffer): Buffer {
    return drive.rewritesOfficeDocuments ? promoteProperties(name, content) : content;
  }

  private versionId(item: Item): string {
    return `${item.versions!.length + 1}.0`;
  }

  private setFileSystemInfo(item: Item, info: Partial<FileSystemInfo> | undefined): void {
    const at = this.now();
    item.fileSystemInfo = { created: info?.created ?? at, modified: info?.modified ?? at };
  }

  /** Any change moves eTag; a content change (or a folder's children changing) also moves cTag. */
  private touch(item: Item, content = true): void {
    item.modified = this.now();
    item.version += 1;
    if (content) item.contentVersion += 1;
    item.changeSeq = ++item.drive.changeSeq;
  }

  private detach(item: Item): void {
    const drive = item.drive;
    item.parent!.children!.delete(item.name.toLowerCase());
    this.touch(item.parent!);
    const unindex = (at: Item, parentId: string): void => {
      this.items.delete(at.id);
      drive.tombstones.push({ id: at.id, name: at.name, kind: at.kind, parentId, seq: ++drive.changeSeq });
      for (const child of at.children?.values() ?? []) unindex(child, at.id);
    };
    unindex(item, item.parent!.id);
  }
}

/** Bytes an item holds: its content (and by default its kept versions), or everything below a folder. */
function bytesUnder(item: Item, withVersions = true): number {
  if (item.kind === 'file') {
    const kept = withVersions ? (item.versions ?? []).reduce((n, v) => n + v.content.length, 0) : 0;
    return item.content!.length + kept;
  }
  let total = 0;
  for (const child of item.children!.values()) total += bytesUnder(child, withVersions);
  return total;
}
