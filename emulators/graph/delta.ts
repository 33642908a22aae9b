// GET .../delta (Graph docs, "driveItem: delta"): the first call without a token enumerates the
// folder's hierarchy, parents before children; later calls with the token from @odata.deltaLink
// list what changed since, deleted items carrying the `deleted` facet. Pages end in
// @odata.nextLink until the last, which carries @odata.deltaLink. `token=latest` returns no items
// and a deltaLink for "from now on". A token from the future is answered 410 with a Location that
// starts a fresh enumeration, as Graph answers a token it can no longer serve. As the page's
// remarks say, parentReference carries no path, and some properties are left out: cTag on business
// drives, cTag and name (business) or size (personal) on deleted items.
import { json, type EmulatorRequest, type EmulatorResponse } from '../shared/server';
import { jsonContext, type GraphContext } from './context';
import { GraphError, invalidRequest } from './errors';
import { driveItemJson } from './itemJson';
import { applySelect, decodeToken, encodeToken, linkTo, pageSize, selectedProperties } from './queryOptions';
import type { Item, Tombstone } from './store';

interface Window {
  /** Changes after this change number... */
  since: number;
  /** ...up to and including this one (fixed when paging starts, so pages do not shift). */
  upto: number;
  offset: number;
}

export function deltaRequest(ctx: GraphContext, req: EmulatorRequest, folder: Item): EmulatorResponse {
  if (folder.kind !== 'folder') throw invalidRequest('delta is only available on folders.');
  const drive = folder.drive;
  const token = req.query.get('token');
  const skip = req.query.get('$skiptoken');
  const current = drive.changeSeq;
  if (token === 'latest') {
    return json(200, { value: [], '@odata.deltaLink': deltaLink(req, current) });
  }
  const window: Window = skip ? decodeWindow(skip) : { since: parseToken(token), upto: current, offset: 0 };
  if (window.since > current || window.upto > current) {
    throw new GraphError(
      410,
      'resyncRequired',
      'The delta token is no longer valid; enumerate again from the Location.',
      'resyncChangesApplyDifferences',
      { Location: linkTo(req, req.path, new URLSearchParams()) },
    );
  }
  const changed = (seq: number): boolean => seq > window.since && seq <= window.upto;
  const live = [folder, ...ctx.store.descendants(folder)].filter((item) => changed(item.changeSeq));
  const deleted =
    window.since === 0 ? [] : tombstonesUnder(ctx, folder, drive.tombstones).filter((t) => changed(t.seq));
  const top = pageSize(req);
  const selected = selectedProperties(req);
  const all: Array<Record<string, unknown>> = [
    ...live.map((item) => changedJson(driveItemJson(item, jsonContext(ctx)), drive.driveType)),
    ...deleted.map((t) => deletedJson(t, drive.id, drive.driveType)),
  ];
  const page = all.slice(window.offset, window.offset + top).map((item) => applySelect(item, selected));
  const body: Record<string, unknown> = { value: page };
  if (window.offset + top < all.length) {
    const query = new URLSearchParams();
    query.set('$top', String(top));
    query.set('$skiptoken', encodeWindow({ ...window, offset: window.offset + top }));
    body['@odata.nextLink'] = linkTo(req, req.path, query);
  } else {
    body['@odata.deltaLink'] = deltaLink(req, window.upto);
  }
  return json(200, body);
}

function deltaLink(req: EmulatorRequest, seq: number): string {
  return linkTo(req, req.path, new URLSearchParams({ token: encodeToken('d', [seq]) }));
}

function parseToken(token: string | null): number {
  return token === null ? 0 : decodeToken(token, 'd', 1, 'delta token')[0];
}

function encodeWindow(w: Window): string {
  return encodeToken('w', [w.since, w.upto, w.offset]);
}

function decodeWindow(token: string): Window {
  const [since, upto, offset] = decodeToken(token, 'w', 3, '$skiptoken');
  return { since, upto, offset };
}

/** Removed items that were inside `folder`: below it directly, below a live descendant, or below another such item. */
function tombstonesUnder(ctx: GraphContext, folder: Item, tombstones: Tombstone[]): Tombstone[] {
  if (!folder.parent) return tombstones;
  const inside = new Set([folder.id, ...ctx.store.descendants(folder).map((i) => i.id)]);
  const out: Tombstone[] = [];
  for (const t of tombstones) {
    if (inside.has(t.parentId)) {
      out.push(t);
      inside.add(t.id);
    }
  }
  return out;
}

function changedJson(item: Record<string, unknown>, driveType: string): Record<string, unknown> {
  const { path: _path, ...parentReference } = item.parentReference as Record<string, unknown>;
  const out: Record<string, unknown> = { ...item, parentReference };
  if (driveType !== 'personal') delete out.cTag;
  return out;
}

function deletedJson(t: Tombstone, driveId: string, driveType: string): Record<string, unknown> {
  return {
    id: t.id,
    ...(driveType === 'personal' ? { name: t.name } : {}),
    deleted: { state: 'deleted' },
    parentReference: { driveId, driveType, id: t.parentId },
    ...(t.kind === 'file' ? { file: {} } : { folder: {} }),
  };
}
