// Cross-process control of the Graph emulator (behind the server's control key): the levers the
// GraphEmulator class offers in-process that tests in other processes need.
//   POST /_emulator/graph/drives/{driveId}/quota           {"total": bytes}
//   POST /_emulator/graph/drives/{driveId}/office-rewrite  {"enabled": boolean}
import { json, type EmulatorRequest, type EmulatorResponse } from '../shared/server';
import type { GraphContext } from './context';
import { GraphError, errorResponse, invalidRequest } from './errors';
import { jsonBody } from './itemUpdates';
import type { Drive } from './store';

export function installControlRoutes(ctx: GraphContext): void {
  const base = '/_emulator/graph/drives/:driveId';
  ctx.server.route('POST', `${base}/quota`, (req) =>
    guarded(req, () => {
      const { total } = jsonBody(req);
      if (typeof total !== 'number' || !Number.isSafeInteger(total) || total < 0) {
        throw invalidRequest('total must be a whole number of bytes.');
      }
      ctx.store.setQuota(driveOf(ctx, req), total);
      return json(200, { total });
    }),
  );
  ctx.server.route('POST', `${base}/office-rewrite`, (req) =>
    guarded(req, () => {
      const { enabled } = jsonBody(req);
      if (typeof enabled !== 'boolean') throw invalidRequest('enabled must be true or false.');
      ctx.store.setOfficeRewrite(driveOf(ctx, req), enabled);
      return json(200, { enabled });
    }),
  );
}

function driveOf(ctx: GraphContext, req: EmulatorRequest): Drive {
  const drive = ctx.store.drive(decodeURIComponent(req.params.driveId));
  if (!drive) throw new GraphError(404, 'itemNotFound', 'Drive not found');
  return drive;
}

function guarded(req: EmulatorRequest, handle: () => EmulatorResponse): EmulatorResponse {
  try {
    return handle();
  } catch (error) {
    if (error instanceof GraphError) return errorResponse(error, req);
    throw error;
  }
}
