// The wire for Graph requests whose answer is read whole (JSON calls, upload-session chunks):
// Node's own HTTP client on a keep-alive agent, instead of fetch. Measured on this project's
// small-file job, fetch spent about three times the CPU per request (its Request, Response and
// Headers objects, web streams and abort plumbing) for the same bytes, and that per-request cost
// is what a backup of many small files pays; node:https costs what undici's lower-level request
// API costs, without a dependency that would also replace fetch's global dispatcher on import.
//
// Redirects are not followed here: a 3xx answer goes back to the caller, which decides (see
// exchange in ./http.ts).
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';

/** The headers of an answer: the one read callers make of them. */
export interface AnswerHeaders {
  get(name: string): string | null;
}

/** An answer whose body the caller reads once, as text. */
export interface Answer {
  status: number;
  headers: AnswerHeaders;
  text(): Promise<string>;
}

export interface WireRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: Uint8Array | string;
  /** Ends the request and the reading of its answer. */
  signal: AbortSignal;
}

// Idle connections are closed after 4 s (undici's default, which fetch used): a server closes an
// idle connection when it likes, and a request sent on one it just closed fails and is retried.
const IDLE_CONNECTION_MS = 4_000;
let agents: { http: http.Agent; https: https.Agent } | undefined;

/** One pair of agents per process: their pools are what every Graph request reuses. */
function agentFor(url: URL): http.Agent {
  agents ??= {
    http: new http.Agent({ keepAlive: true, timeout: IDLE_CONNECTION_MS }),
    https: new https.Agent({ keepAlive: true, timeout: IDLE_CONNECTION_MS }),
  };
  return url.protocol === 'http:' ? agents.http : agents.https;
}

/** Sends one request and reads its answer; rejects when none arrives whole (reset, refused, abort). */
export function sendOverWire(request: WireRequest): Promise<Answer> {
  const url = new URL(request.url);
  const client = url.protocol === 'http:' ? http : https;
  return new Promise<Answer>((resolve, reject) => {
    const sent = client.request(
      url,
      { method: request.method, headers: request.headers, agent: agentFor(url), signal: request.signal },
      (response) => readWhole(response).then(resolve, reject),
    );
    sent.on('error', reject);
    writeBody(sent, request.body);
  });
}

/** Bytes handed to the socket per write: bounds what TLS buffers at once (it encrypts a whole write). */
const BODY_PIECE_BYTES = 1024 * 1024;

/**
 * A body of up to a piece goes in one write. A larger one (an upload chunk, up to 60 MiB) goes in
 * pieces, each after the socket took the one before, so TLS holds one piece at a time instead of
 * an encrypted copy of the whole chunk, which V8 would free only at a later collection. The length
 * is announced (the request is not chunked), and the last piece goes with the end of the request.
 * A failure while writing surfaces as the request's error.
 */
function writeBody(sent: http.ClientRequest, body: Uint8Array | string | undefined): void {
  if (body === undefined || typeof body === 'string' || body.length <= BODY_PIECE_BYTES) {
    sent.end(body);
    return;
  }
  sent.setHeader('content-length', String(body.length));
  const next = (offset: number): void => {
    for (; offset + BODY_PIECE_BYTES < body.length; offset += BODY_PIECE_BYTES) {
      const taken = sent.write(body.subarray(offset, offset + BODY_PIECE_BYTES));
      if (!taken) {
        const resume = offset + BODY_PIECE_BYTES;
        sent.once('drain', () => next(resume));
        return;
      }
    }
    sent.end(body.subarray(offset));
  };
  next(0);
}

function readWhole(response: IncomingMessage): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    const pieces: Buffer[] = [];
    response.on('data', (piece: Buffer) => pieces.push(piece));
    // A connection lost mid-answer ends it with an error (ECONNRESET, "aborted"), never with 'end'.
    response.on('error', reject);
    response.on('end', () => {
      const text = Buffer.concat(pieces).toString('utf8');
      const headers = response.headers;
      resolve({
        status: response.statusCode ?? 0,
        headers: {
          get(name: string): string | null {
            const value = headers[name.toLowerCase()];
            if (value === undefined) return null;
            return Array.isArray(value) ? value.join(', ') : value;
          },
        },
        text: async () => text,
      });
    });
  });
}
