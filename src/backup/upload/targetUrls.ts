// Graph URLs for a destination path. The path arrives already percent-encoded segment by segment
// (src/graph/names.ts), so nothing here encodes it again.
import type { UploadTarget } from './types';

function itemByPath(target: UploadTarget): string {
  const base = target.apiBaseUrl.replace(/\/+$/, '');
  return `${base}/drives/${encodeURIComponent(target.driveId)}/root:/${target.encodedPath}:`;
}

/** Simple upload; `replace` so a redelivered task overwrites instead of making `name (1).ext`. */
export function contentUrl(target: UploadTarget): string {
  return `${itemByPath(target)}/content?@microsoft.graph.conflictBehavior=replace`;
}

export function createSessionUrl(target: UploadTarget): string {
  return `${itemByPath(target)}/createUploadSession`;
}

export function itemUrl(target: UploadTarget): string {
  return itemByPath(target);
}

export function itemByIdUrl(target: UploadTarget, id: string): string {
  const base = target.apiBaseUrl.replace(/\/+$/, '');
  return `${base}/drives/${encodeURIComponent(target.driveId)}/items/${encodeURIComponent(id)}`;
}
