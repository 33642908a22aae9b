// The drives and their item trees: folders, files with content, the recycle bin, quota. Everything
// that changes what a drive holds goes through here, so the rules (case-insensitive names,
// conflict behaviours, name and path limits, quota) are applied the same way by simple uploads,
// upload sessions and folder creation.
import { randomBytes } from 'node:crypto';
import { GraphError, notFound } from './errors';
import { quickXorHash } from './hash';
import { checkName, checkPathLength, numberedName, type ItemKind } from './names';

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
  /** Bumped on every change; feeds eTag and cTag. */
  version: number;
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

export class DriveStore {
  private readonly drives = new Map<string, Drive>();
  private readonly items = new Map<string, Item>();

  constructor(private readonly now: () => number) {}

  createDrive(
    init: Omit<Drive, 'id' | 'root' | 'recycleBin' | 'created' | 'quotaTotal'> & { quotaTotal?: number },
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

  /** Creates or replaces the file `name` under `parent`; quota and conflict rules apply. */
  writeFile(parent: Item, name: string, content: Buffer, conflict: ConflictBehavior): WriteResult {
    this.checkTarget(parent, name, 'file');
    const { name: finalName, existing } = this.placeName(parent, name, 'file', conflict);
    const replacedBytes = existing?.kind === 'file' ? existing.content!.length : 0;
    this.checkQuota(parent.drive, content.length - replacedBytes);
    if (existing?.kind === 'file') {
      this.replaceContent(existing, content);
      return { item: existing, created: false };
    }
    if (existing) this.recycle(existing);
    const item = this.newItem(parent.drive, finalName, 'file', parent);
    item.content = content;
    item.quickXorHash = quickXorHash([content]);
    return { item, created: true };
  }

  replaceContent(item: Item, content: Buffer): void {
    if (item.kind !== 'file') throw new GraphError(400, 'invalidRequest', 'Cannot write content to a folder');
    this.checkQuota(item.drive, content.length - item.content!.length);
    item.content = content;
    item.quickXorHash = quickXorHash([content]);
    this.touch(item);
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

  /** Bytes held by live files and by the recycle bin (which counts against quota, as in OneDrive). */
  usage(drive: Drive): { used: number; deleted: number } {
    const deleted = drive.recycleBin.reduce((n, r) => n + bytesUnder(r.item), 0);
    return { used: bytesUnder(drive.root) + deleted, deleted };
  }

  setQuota(drive: Drive, total: number): void {
    drive.quotaTotal = total;
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
      version: 1,
      ...(kind === 'folder' ? { children: new Map<string, Item>() } : {}),
    };
    this.items.set(item.id, item);
    if (parent) {
      parent.children!.set(name.toLowerCase(), item);
      this.touch(parent);
    }
    return item;
  }

  private newItemId(drive: Drive): string {
    // Personal ids look like "A1B2C3D4E5F6A7B8!123", business ids like "01ABC...": a real client
    // must treat both as opaque, and the '!' checks that it percent-encodes or passes them safely.
    return drive.driveType === 'personal'
      ? `${drive.id.toUpperCase()}!${this.items.size + 1}`
      : `01${randomBytes(20).toString('base64url').toUpperCase().replace(/[-_]/g, 'Z').slice(0, 32)}`;
  }

  private touch(item: Item): void {
    item.modified = this.now();
    item.version += 1;
  }

  private detach(item: Item): void {
    item.parent!.children!.delete(item.name.toLowerCase());
    this.touch(item.parent!);
    const unindex = (at: Item): void => {
      this.items.delete(at.id);
      for (const child of at.children?.values() ?? []) unindex(child);
    };
    unindex(item);
  }
}

function bytesUnder(item: Item): number {
  if (item.kind === 'file') return item.content!.length;
  let total = 0;
  for (const child of item.children!.values()) total += bytesUnder(child);
  return total;
}
