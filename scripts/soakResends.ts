// Which bytes the soak's Graph emulator was offered twice, and why. Seen from the emulator's own
// socket layer (nothing the product reports is trusted): every PUT body is placed in its file by
// its Content-Range (a chunk) or as the whole file (a simple upload), and a byte below the highest
// one offered before for that file is a resend. Each resend is charged to what last interrupted the
// file: a kill (every file with a PUT on the wire or an open session when the host was SIGKILLed),
// a session expired by the soak, or an injected fault on one of its requests. A file's charge ends
// when it sends bytes never offered before.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

export interface KillResends {
  kill: number;
  /** Files interrupted: a PUT on the wire or an upload session open at the kill. */
  filesInterrupted: number;
  /** Bytes those files were offered again afterwards, in chunks and in simple uploads. */
  sessionBytes: number;
  simpleBytes: number;
  /** The most one file resent in chunks because of this kill. */
  maxSessionBytesPerFile: number;
  /** Files that resent more than this many bytes in chunks because of this kill (set by report()). */
  filesOverChunk?: { chunkBytes: number; count: number };
  /** From the kill to the first GET of an interrupted session's upload URL (the resume), ms. */
  firstResumeMs?: number;
}

export interface ResendReport {
  byCause: Record<string, number>;
  kills: KillResends[];
}

interface Track {
  highWater: number;
  cause?: string;
  inFlight: number;
  /** Uploaded through a session (chunks), not a simple PUT. */
  session?: boolean;
}

interface SessionView {
  id: string;
  path: string;
}

export class ResendTracker {
  private readonly tracks = new Map<string, Track>();
  private readonly sessionPaths = new Map<string, string>();
  private readonly byCause: Record<string, number> = {};
  private readonly kills: Array<
    KillResends & { at: number; perFile: Map<string, number>; interrupted: Set<string> }
  > = [];
  private killing = 0;

  constructor(
    private readonly sessions: () => SessionView[],
    /** Files under this folder of the drive are the app's own (the run index), not copies. */
    private readonly ignore: (path: string) => boolean,
  ) {}

  attach(server: Server): void {
    server.prependListener('request', (req: IncomingMessage, res: ServerResponse) =>
      this.onRequest(req, res),
    );
  }

  /** True while a chunk PUT is on the wire: a kill now interrupts it mid-body. */
  chunkInFlight(): boolean {
    for (const track of this.tracks.values()) if (track.inFlight > 0 && track.session) return true;
    return false;
  }

  /** Call just before the host is killed. */
  killStarted(kill: number): void {
    this.killing = Date.now();
    const open = new Set(this.sessions().map((s) => this.remember(s)));
    const interrupted = new Set<string>();
    for (const [path, track] of this.tracks)
      if (track.inFlight > 0 || open.has(path)) {
        track.cause = `kill ${kill}`;
        interrupted.add(path);
      }
    this.kills.push({
      kill,
      at: this.killing,
      interrupted,
      filesInterrupted: interrupted.size,
      sessionBytes: 0,
      simpleBytes: 0,
      maxSessionBytesPerFile: 0,
      perFile: new Map(),
    });
  }

  /** Call when the soak expires every open session. */
  sessionsExpired(): void {
    for (const s of this.sessions()) {
      const track = this.tracks.get(this.remember(s));
      if (track) track.cause = 'session expired';
    }
  }

  report(chunkBytes?: number): ResendReport {
    return {
      byCause: { ...this.byCause },
      kills: this.kills.map(({ at: _at, perFile, interrupted: _interrupted, ...k }) => ({
        ...k,
        ...(chunkBytes === undefined
          ? {}
          : {
              filesOverChunk: {
                chunkBytes,
                count: [...perFile.values()].filter((bytes) => bytes > chunkBytes).length,
              },
            }),
      })),
    };
  }

  private remember(session: SessionView): string {
    this.sessionPaths.set(session.id, session.path);
    return session.path;
  }

  private pathOfSession(id: string): string | undefined {
    if (!this.sessionPaths.has(id)) for (const s of this.sessions()) this.remember(s);
    return this.sessionPaths.get(id);
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'https://emulator');
    const kill = this.kills.at(-1);
    if (req.method === 'GET' && kill && kill.firstResumeMs === undefined) {
      const session = /^\/up\/([^/]+)\//.exec(url.pathname);
      const path = session && this.pathOfSession(session[1]);
      if (path && kill.interrupted.has(path)) kill.firstResumeMs = Date.now() - kill.at;
    }
    if (req.method !== 'PUT') return;
    const placed = this.place(url.pathname, req);
    if (!placed || this.ignore(placed.path)) return;
    const track = this.tracks.get(placed.path) ?? { highWater: 0, inFlight: 0 };
    this.tracks.set(placed.path, track);
    const resent = Math.max(0, Math.min(placed.end, track.highWater) - placed.start);
    if (resent > 0) this.charge(track.cause ?? 'other', placed.path, resent, placed.simple);
    else if (placed.start >= track.highWater) track.cause = undefined;
    track.highWater = Math.max(track.highWater, placed.end);
    track.session = !placed.simple;
    track.inFlight += 1;
    res.once('close', () => {
      track.inFlight -= 1;
      // Only the soak's expiries make a session answer 404 (a kill leaves the session as it was), so
      // what is sent again after one is the expiry's, even when a kill interrupted the file before.
      if (track.session && res.statusCode === 404) {
        track.cause = 'session expired';
        return;
      }
      // A kill closes every socket: that is the kill's doing, not a fault's.
      if (Date.now() - this.killing < 3000) return;
      const failed =
        !res.writableFinished || res.statusCode === 416 || res.statusCode >= 500 || res.statusCode === 429;
      if (failed) track.cause = 'fault';
    });
  }

  private charge(cause: string, path: string, bytes: number, simple: boolean): void {
    this.byCause[cause] = (this.byCause[cause] ?? 0) + bytes;
    const match = /^kill (\d+)$/.exec(cause);
    const kill = match && this.kills.find((k) => k.kill === Number(match[1]));
    if (!kill) return;
    if (simple) kill.simpleBytes += bytes;
    else {
      kill.sessionBytes += bytes;
      const total = (kill.perFile.get(path) ?? 0) + bytes;
      kill.perFile.set(path, total);
      kill.maxSessionBytesPerFile = Math.max(kill.maxSessionBytesPerFile, total);
    }
  }

  /** The file a PUT writes and the byte range it offers, or undefined for other PUTs. */
  private place(
    pathname: string,
    req: IncomingMessage,
  ): { path: string; start: number; end: number; simple: boolean } | undefined {
    const length = Number(req.headers['content-length'] ?? 0);
    const session = /^\/up\/([^/]+)\//.exec(pathname);
    if (session) {
      const path = this.pathOfSession(session[1]);
      const range = /^bytes (\d+)-(\d+)\//.exec(String(req.headers['content-range'] ?? ''));
      if (!path || !range) return undefined;
      return { path, start: Number(range[1]), end: Number(range[2]) + 1, simple: false };
    }
    const simple = /\/root:(\/.+):\/content$/.exec(pathname);
    if (!simple) return undefined;
    const path = simple[1]
      .split('/')
      .map((segment) => decodeURIComponent(segment))
      .join('/');
    return { path, start: 0, end: length, simple: true };
  }
}
