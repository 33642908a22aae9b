// How drives and driveItems look on the wire (the subset of Graph's driveItem and drive resources
// the product reads).
import type { Drive, DriveStore, Item } from './store';

const MIME_TYPES: Record<string, string> = {
  txt: 'text/plain',
  json: 'application/json',
  csv: 'text/csv',
  pdf: 'application/pdf',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gz: 'application/gzip',
  zip: 'application/zip',
  sql: 'application/octet-stream',
};

export interface JsonContext {
  store: DriveStore;
  /** Pre-authenticated download URL for a file. */
  downloadUrl: (item: Item) => string;
}

const iso = (ms: number): string => new Date(ms).toISOString();

function encodedPath(path: string): string {
  return path
    .split('/')
    .map((s) => encodeURIComponent(s))
    .join('/');
}

export function driveItemJson(item: Item, ctx: JsonContext): Record<string, unknown> {
  const drive = item.drive;
  const path = ctx.store.pathOf(item);
  const json: Record<string, unknown> = {
    id: item.id,
    name: item.name,
    size: item.kind === 'file' ? item.content!.length : folderSize(item),
    // eTag follows every change, cTag only content changes (driveItem resource type).
    eTag: `"{${item.id}},${item.version}"`,
    cTag: `"c:{${item.id}},${item.contentVersion}"`,
    // The service's own dates; fileSystemInfo below carries the client's.
    createdDateTime: iso(item.created),
    lastModifiedDateTime: iso(item.modified),
    fileSystemInfo: {
      createdDateTime: iso(item.fileSystemInfo.created),
      lastModifiedDateTime: iso(item.fileSystemInfo.modified),
    },
    webUrl: `${drive.webUrl}${encodedPath(path)}`,
    parentReference: item.parent
      ? {
          driveId: drive.id,
          driveType: drive.driveType,
          id: item.parent.id,
          path: `/drive/root:${ctx.store.pathOf(item.parent)}`,
        }
      : { driveId: drive.id, driveType: drive.driveType },
  };
  // "In OneDrive for Business or SharePoint document libraries, the cTag property isn't returned,
  // if the driveItem has a folder facet" (driveItem resource type).
  if (item.kind === 'folder' && drive.driveType !== 'personal') delete json.cTag;
  if (!item.parent) json.root = {};
  if (item.kind === 'folder') {
    json.folder = { childCount: item.children!.size };
  } else {
    const ext = item.name.includes('.') ? item.name.split('.').pop()!.toLowerCase() : '';
    json.file = {
      mimeType: MIME_TYPES[ext] ?? 'application/octet-stream',
      hashes: { quickXorHash: item.quickXorHash },
    };
    json['@microsoft.graph.downloadUrl'] = ctx.downloadUrl(item);
  }
  return json;
}

function folderSize(folder: Item): number {
  let total = 0;
  for (const child of folder.children!.values()) {
    total += child.kind === 'file' ? child.content!.length : folderSize(child);
  }
  return total;
}

export function driveJson(drive: Drive, store: DriveStore): Record<string, unknown> {
  const { used, deleted } = store.usage(drive);
  const total = drive.quotaTotal;
  const remaining = Math.max(0, total - used);
  const ratio = used / total;
  const state = ratio >= 1 ? 'exceeded' : ratio >= 0.99 ? 'critical' : ratio >= 0.9 ? 'nearing' : 'normal';
  return {
    id: drive.id,
    driveType: drive.driveType,
    name: drive.name,
    createdDateTime: iso(drive.created),
    webUrl: drive.webUrl,
    owner: drive.owner,
    quota: { total, used, remaining, deleted, state },
  };
}
