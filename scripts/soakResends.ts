// Which bytes the soak's Graph emulator was offered twice, and why. Seen from the emulator's own
// socket layer (nothing the product reports is trusted): every PUT body is placed in its file by
// its Content-Range (a chunk) or as the whole file (a simple upload), and a byte below the highest
// one offered before for that file is a resend. Within one upload session a resend is charged to
// what last interrupted the file: a kill (every file with a PUT on the wire or an open session when
// the host was SIGKILLed, and every file already finished whose task may not have recorded it yet),
// or an injected fault on one of its requests. A new session catching up to bytes an earlier one
// was offered is charged to what lost the earlier session: an expiry when the soak expired it (seen
// as a 404, or as expired in the emulator's list), else the last interruption (a kill whose task
// did not resume the live session it had saved). A file's charge ends when it sends bytes never
// offered before. Each file charged to a kill keeps a story (its session requests and what the host
// logged about it), so a resend past one chunk says why its resume did not resume.
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
  /**
   * Files that resent more than this many bytes in chunks because of this kill (set by report()),
   * each with what the emulator saw of its sessions from the kill on: why its resume did not resume.
   */
  filesOverChunk?: {
    chunkBytes: number;
    count: number;
    files: Array<{ path: string; bytes: number; story: string[] }>;
  };
  /** From the kill to the first GET of an interrupted session's upload URL (the resume), ms. */
  firstResumeMs?: number;
}

export interface ResendReport {
  byCause: Record<string, number>;
  kills: KillResends[];
}

interface Track {
  /** The highest byte offered for the file, over all its sessions and simple uploads. */
  highWater: number;
  /** The session of its last chunk (undefined for a simple upload) and the highest byte it was offered. */
  sessionId?: string;
  sessionHigh: number;
  /** What last interrupted the file: its resends within one session are charged to it. */
  cause?: string;
  /** What lost the file's previous session: a new session's catching up is charged to it. */
  restartCause?: string;
  inFlight: number;
  /** The drive took the whole file (a 200 or 201 to a simple upload or a last chunk). */
  done?: boolean;
}

interface SessionView {
  id: string;
  path: string;
  received?: number;
  expiresAt?: number;
}

export class ResendTracker {
  private readonly tracks = new Map<string, Track>();
  private readonly sessionPaths = new Map<string, string>();
  private readonly byCause: Record<string, number> = {};
  private readonly kills: Array<
    KillResends & { at: number; perFile: Map<string, number>; interrupted: Set<string> }
  > = [];
  /** Per file, what its sessions did from the first kill on (for explaining a resend). */
  private readonly stories = new Map<string, string[]>();
  private killing = 0;
  /** Hosts started again after a kill: the host of generation g is the one kill g + 1 ends. */
  private restarts = 0;
  private chunks = 0;
  private readonly chunkListeners = new Set<() => void>();
  /** Sessions seen answering 404 (expired by the soak). */
  private readonly gone = new Set<string>();

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

  /** Chunk PUTs the emulator has been sent so far (of the backed-up files, retries included). */
  chunkPuts(): number {
    return this.chunks;
  }

  /** Calls `listener` as each chunk PUT arrives (while it is on the wire); returns the unsubscribe. */
  onChunkPut(listener: () => void): () => void {
    this.chunkListeners.add(listener);
    return () => this.chunkListeners.delete(listener);
  }

  /** True while a chunk PUT is on the wire: a kill now interrupts it mid-body. */
  chunkInFlight(): boolean {
    for (const track of this.tracks.values())
      if (track.inFlight > 0 && track.sessionId !== undefined) return true;
    return false;
  }

  /** Call just before the host is killed. */
  killStarted(kill: number): void {
    this.killing = Date.now();
    const sessions = this.sessions();
    const open = new Set(sessions.map((s) => this.remember(s)));
    const interrupted = new Set<string>();
    for (const [path, track] of this.tracks)
      if (track.done && track.inFlight === 0) {
        // Finished in the drive but maybe not yet recorded by its task: if the task is redelivered
        // and sends the file again, that is this kill's doing.
        track.cause = `kill ${kill}`;
      } else if (track.inFlight > 0 || open.has(path)) {
        track.cause = `kill ${kill}`;
        interrupted.add(path);
        const held = sessions
          .filter((s) => s.path === path)
          .map(
            (s) =>
              `${s.id.slice(0, 6)} at ${s.received ?? '?'}${s.expiresAt !== undefined && s.expiresAt <= this.killing ? ' (expired)' : ''}`,
          );
        this.note(
          path,
          `kill ${kill}: high ${track.highWater}, ${track.inFlight} PUT on the wire, sessions ${held.join(', ') || 'none'}`,
        );
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

  /**
   * Call just before the killed host is started again. Until then every request still comes from the
   * host being killed (it can send one between killStarted and its death); from then on, from the new one.
   */
  hostRestarted(): void {
    this.restarts += 1;
  }

  /** Call when the soak expires every open session. */
  sessionsExpired(): void {
    for (const s of this.sessions()) {
      this.gone.add(s.id);
      this.remember(s);
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
                files: [...perFile]
                  .filter(([, bytes]) => bytes > chunkBytes)
                  .map(([path, bytes]) => ({ path, bytes, story: this.stories.get(path) ?? [] })),
              },
            }),
      })),
    };
  }

  /** A line of a file's story (drive path, as the emulator names it), stamped with the time of day. */
  note(path: string, line: string): void {
    const story = this.stories.get(path) ?? [];
    story.push(`${new Date().toISOString().slice(11, 22)} ${line}`);
    this.stories.set(path, story);
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
    const up = /^\/up\/([^/]+)\//.exec(url.pathname);
    const upPath = up ? this.pathOfSession(up[1]) : undefined;
    if (req.method === 'GET' && kill && kill.firstResumeMs === undefined) {
      if (upPath && kill.interrupted.has(upPath)) kill.firstResumeMs = Date.now() - kill.at;
    }
    if (up && upPath && this.stories.has(upPath) && req.method !== 'PUT') {
      const id = up[1].slice(0, 6);
      res.once('close', () => this.note(upPath, `${req.method} session ${id}: ${res.statusCode}`));
    }
    if (req.method === 'POST' && /:\/createUploadSession$/.test(url.pathname)) {
      const target = /\/root:(\/.+):\/createUploadSession$/.exec(url.pathname);
      const path = target?.[1]
        .split('/')
        .map((segment) => decodeURIComponent(segment))
        .join('/');
      if (path && this.stories.has(path))
        res.once('close', () => this.note(path, `new session: ${res.statusCode}`));
    }
    if (up && req.method === 'GET')
      res.once('close', () => {
        // Only the soak's expiries make a session answer 404 (a kill leaves it as it was).
        if (res.statusCode === 404) this.gone.add(up[1]);
      });
    if (req.method !== 'PUT') return;
    const placed = this.place(url.pathname, req);
    if (!placed || this.ignore(placed.path)) return;
    const track = this.tracks.get(placed.path) ?? { highWater: 0, sessionHigh: 0, inFlight: 0 };
    this.tracks.set(placed.path, track);
    if (placed.session !== track.sessionId) {
      // A new session starts from byte 0: what it sends again is the doing of whatever lost the old
      // one. An expired session (the soak's doing, seen by a 404 or in the emulator's own list)
      // would have been lost with or without a kill; a live one given up is the last interruption's.
      const old = track.sessionId;
      const expired =
        old !== undefined &&
        (this.gone.has(old) ||
          this.sessions().some((s) => s.id === old && (s.expiresAt ?? Infinity) <= Date.now()));
      track.restartCause =
        old === undefined ? undefined : expired ? 'session expired' : (track.cause ?? 'other');
      track.sessionId = placed.session;
      track.sessionHigh = 0;
    }
    // Below this session's own high water: the same session sent again (a lost answer, a chunk cut
    // by a kill or a fault). Between it and the file's: a new session catching up.
    const within = Math.max(0, Math.min(placed.end, track.sessionHigh) - placed.start);
    const catchUp = Math.max(
      0,
      Math.min(placed.end, track.highWater) - Math.max(placed.start, track.sessionHigh),
    );
    const causes: string[] = [];
    if (within > 0) {
      const cause = track.cause ?? 'other';
      this.charge(cause, placed.path, within, placed.simple);
      causes.push(`${within} (${cause})`);
    }
    if (catchUp > 0) {
      const cause = (placed.simple ? track.cause : track.restartCause) ?? 'other';
      this.charge(cause, placed.path, catchUp, placed.simple);
      causes.push(`${catchUp} (${cause})`);
    }
    if (this.stories.has(placed.path) && !placed.simple)
      this.note(
        placed.path,
        `PUT ${placed.start}-${placed.end}${causes.length ? ` resends ${causes.join(' + ')}` : ''}`,
      );
    if (placed.start >= track.highWater) {
      track.cause = undefined;
      track.restartCause = undefined;
    }
    track.highWater = Math.max(track.highWater, placed.end);
    track.sessionHigh = Math.max(track.sessionHigh, placed.end);
    track.inFlight += 1;
    if (!placed.simple) {
      this.chunks += 1;
      for (const listener of [...this.chunkListeners]) listener();
    }
    // Which host sent the PUT, by restart count: two events in the same millisecond cannot be told
    // apart by their times, and the host being killed can still send a PUT after the kill began.
    const generation = this.restarts;
    res.once('close', () => {
      track.inFlight -= 1;
      // A response the kill cut before it was sent still reads 200 (the default): only one that
      // was written out means the drive took the file.
      if (res.writableFinished && (res.statusCode === 200 || res.statusCode === 201)) track.done = true;
      if (placed.session && res.statusCode === 404) {
        this.gone.add(placed.session);
        return;
      }
      const failed =
        !res.writableFinished || res.statusCode === 416 || res.statusCode >= 500 || res.statusCode === 429;
      if (!failed) return;
      // A kill closes every socket of the host it ends: a PUT of that host that did not finish is
      // the kill's doing, not a fault's, even one it sent after the kill began. A PUT of the
      // restarted host that fails met an injected fault like any other.
      const killOfItsHost = this.kills[generation];
      track.cause = killOfItsHost ? `kill ${killOfItsHost.kill}` : 'fault';
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
  ): { path: string; start: number; end: number; simple: boolean; session?: string } | undefined {
    const length = Number(req.headers['content-length'] ?? 0);
    const session = /^\/up\/([^/]+)\//.exec(pathname);
    if (session) {
      const path = this.pathOfSession(session[1]);
      const range = /^bytes (\d+)-(\d+)\//.exec(String(req.headers['content-range'] ?? ''));
      if (!path || !range) return undefined;
      return { path, start: Number(range[1]), end: Number(range[2]) + 1, simple: false, session: session[1] };
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
