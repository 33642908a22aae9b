// The upload and download host (https://127.0.0.1:PORT): upload session URLs, pre-authenticated
// download URLs and copy monitors. None takes an Authorization header; upload URLs refuse one, as
// Microsoft warns, and so do a personal drive's download URLs (OneDrive's CDN answers 401).
// HEAD on a download URL answers as GET without the body (size, Accept-Ranges), as a CDN does.
import { json, type EmulatorRequest, type EmulatorResponse } from '../shared/server';
import { jsonContext, type GraphContext } from './context';
import { GraphError, errorResponse } from './errors';
import { driveItemJson } from './itemJson';
import { parseRange } from './downloads';
import { monitorStatus } from './itemUpdates';
import type { WriteResult } from './store';
import type { UploadSession } from './uploadSessions';

export function installTransferRoutes(ctx: GraphContext): void {
  const guarded =
    (handler: (req: EmulatorRequest) => EmulatorResponse) =>
    (req: EmulatorRequest): EmulatorResponse => {
      try {
        return handler(req);
      } catch (error) {
        if (error instanceof GraphError) return errorResponse(error, req);
        throw error;
      }
    };
  for (const method of ['GET', 'PUT', 'DELETE', 'POST']) {
    ctx.server.route(
      method,
      '/up/:id/:secret',
      guarded((req) => uploadUrlRequest(ctx, req)),
    );
  }
  ctx.server.route(
    'GET',
    '/dl/:token',
    guarded((req) => download(ctx, req)),
  );
  ctx.server.route(
    'GET',
    '/monitor/:id',
    guarded((req) => monitorStatus(ctx, req.params.id)),
  );
}

function uploadUrlRequest(ctx: GraphContext, req: EmulatorRequest): EmulatorResponse {
  if (req.headers.authorization !== undefined) {
    throw new GraphError(
      401,
      'unauthenticated',
      'Upload URLs are pre-authenticated; sending an Authorization header to them is refused.',
    );
  }
  const session = ctx.sessions.get(req.params.id, req.params.secret);
  switch (req.method) {
    case 'GET':
      return json(200, ctx.sessions.status(session));
    case 'DELETE':
      ctx.sessions.cancel(session);
      return { status: 204 };
    case 'POST':
      return commitDeferred(ctx, req, session);
    default:
      return putChunk(ctx, req, session);
  }
}

function putChunk(ctx: GraphContext, req: EmulatorRequest, session: UploadSession): EmulatorResponse {
  const contentRange = req.headers['content-range'];
  const outcome = ctx.sessions.put(session, contentRange, req.body, {
    // A replaced file keeps its old content as a version, so the whole new size counts.
    onTotalKnown: (total) => ctx.store.checkQuota(session.target.drive, total),
    commit: (content) => commitFile(ctx, session, content),
  });
  if (!outcome.done) return json(202, outcome.status);
  return committed(ctx, outcome.result);
}

/**
 * deferCommit's explicit completion: "a final POST request to the upload URL with zero-length
 * content (currently only supported on OneDrive for Business and SharePoint)".
 */
function commitDeferred(ctx: GraphContext, req: EmulatorRequest, session: UploadSession): EmulatorResponse {
  if (req.body.length > 0) throw new GraphError(400, 'invalidRequest', 'The commit request has no body.');
  return committed(
    ctx,
    ctx.sessions.commit(session, (content) => commitFile(ctx, session, content)),
  );
}

function commitFile(ctx: GraphContext, session: UploadSession, content: Buffer): WriteResult {
  const { drive, baseItemId, folders, name, conflict, fileSystemInfo } = session.target;
  const parent = ctx.store.ensureFolders(ctx.store.item(drive, baseItemId), folders);
  return ctx.store.writeFile(parent, name, content, conflict, fileSystemInfo);
}

function committed(ctx: GraphContext, { item, created }: WriteResult): EmulatorResponse {
  return json(created ? 201 : 200, driveItemJson(item, jsonContext(ctx)));
}

function download(ctx: GraphContext, req: EmulatorRequest): EmulatorResponse {
  const claim = ctx.downloads.verify(req.params.token);
  const drive = ctx.store.drive(claim.driveId);
  if (!drive) throw new GraphError(404, 'itemNotFound', 'Drive not found');
  if (drive.driveType === 'personal' && req.headers.authorization !== undefined) {
    throw new GraphError(
      401,
      'unauthenticated',
      'Download URLs are pre-authenticated; an Authorization header sent to one is refused.',
    );
  }
  const content = ctx.store.item(drive, claim.itemId).content!;
  const range = parseRange(req.headers.range, content.length);
  if (range === 'unsatisfiable') {
    const error = new GraphError(416, 'invalidRange', 'The requested range is not satisfiable.', undefined, {
      'Content-Range': `bytes */${content.length}`,
    });
    return errorResponse(error, req);
  }
  if (!range) return { status: 200, headers: { 'Accept-Ranges': 'bytes' }, body: content };
  return {
    status: 206,
    headers: {
      'Accept-Ranges': 'bytes',
      'Content-Range': `bytes ${range.start}-${range.end}/${content.length}`,
    },
    body: content.subarray(range.start, range.end + 1),
  };
}
