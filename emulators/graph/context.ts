// What the route modules share: the state of the emulated tenant and the server it is served on.
import type { Authorize } from '../shared/principal';
import type { EmulatorServer } from '../shared/server';
import type { Directory } from './directory';
import type { DownloadLinks } from './downloads';
import type { JsonContext } from './itemJson';
import type { Sites } from './sites';
import type { DriveStore, Item } from './store';
import type { UploadSessions } from './uploadSessions';

export interface GraphContext {
  server: EmulatorServer;
  authorize: Authorize;
  now: () => number;
  store: DriveStore;
  directory: Directory;
  sites: Sites;
  sessions: UploadSessions;
  downloads: DownloadLinks;
  /** Largest body a simple PUT .../content accepts (Graph: 250 MB). */
  simpleUploadMaxBytes: number;
  /** Copy operations by monitor id, each with the id of the copy it made. */
  copyJobs: Map<string, string>;
}

export function jsonContext(ctx: GraphContext): JsonContext {
  return {
    store: ctx.store,
    downloadUrl: (item: Item) => `${ctx.server.altBaseUrl}/dl/${ctx.downloads.token(item.drive.id, item.id)}`,
  };
}
