// The upload and download host (https://127.0.0.1:PORT): upload session URLs and pre-authenticated
// download URLs. Neither takes an Authorization header; upload URLs refuse one, as Microsoft warns.
import { json, type EmulatorRequest, type EmulatorResponse } from '../shared/server';
import { jsonContext, type GraphContext } from './context';
import { GraphError, errorResponse } from './errors';
import { driveItemJson } from './itemJson';
import { parseRange } from './downloads';
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
  for (const method of ['GET', 'PUT', 'DELETE']) {
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
    default:
      return putChunk(ctx, req, session);
  }
}

function putChunk(ctx: GraphContext, req: EmulatorRequest, session: UploadSession): EmulatorResponse {
  const { drive, baseItemId, folders, name, conflict } = session.target;
  const contentRange = req.headers['content-range'];
  const outcome = ctx.sessions.put(session, contentRange, req.body, {
    onTotalKnown: (total) => {
      const existing = existingFileBytes(ctx, session);
      ctx.store.checkQuota(drive, total - (conflict === 'replace' ? existing : 0));
    },
    commit: (content) => {
      const parent = ctx.store.ensureFolders(ctx.store.item(drive, baseItemId), folders);
      return ctx.store.writeFile(parent, name, content, conflict);
    },
  });
  if (!outcome.done) return json(202, outcome.status);
  const { item, created } = outcome.result;
  return json(created ? 201 : 200, driveItemJson(item, jsonContext(ctx)));
}

function existingFileBytes(ctx: GraphContext, session: UploadSession): number {
  const { drive, baseItemId, folders, name } = session.target;
  try {
    const existing = ctx.store.resolve(ctx.store.item(drive, baseItemId), [...folders, name]);
    return existing.kind === 'file' ? existing.content!.length : 0;
  } catch {
    return 0;
  }
}

function download(ctx: GraphContext, req: EmulatorRequest): EmulatorResponse {
  const claim = ctx.downloads.verify(req.params.token);
  const drive = ctx.store.drive(claim.driveId);
  if (!drive) throw new GraphError(404, 'itemNotFound', 'Drive not found');
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
