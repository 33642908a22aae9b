// The soak's resend bookkeeping (scripts/soakResends.ts), driven by real PUTs to a local server: a
// resend is charged to what last interrupted the file. A chunk cut by a kill, sent again after the
// restart, is the kill's; if that resend then meets an injected fault (here a 416), sending it once
// more is the fault's, even within seconds of the kill. A chunk the dying host still sends after the
// kill began is the kill's too.
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ResendTracker } from '../../scripts/soakResends';

const TOTAL = 300;

describe('ResendTracker', () => {
  let answer: (req: IncomingMessage, res: ServerResponse) => void;
  let server: Server;
  let port = 0;
  let tracker: ResendTracker;

  beforeEach(async () => {
    server = createServer((req, res) => answer(req, res));
    tracker = new ResendTracker(
      () => [{ id: 'S1', path: '/Backup/file.bin' }],
      () => false,
    );
    tracker.attach(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const put = (start: number, end: number): Promise<number> =>
    new Promise((resolve) => {
      const body = Buffer.alloc(end - start);
      const req = request(
        {
          port,
          host: '127.0.0.1',
          method: 'PUT',
          path: '/up/S1/x',
          headers: { 'content-range': `bytes ${start}-${end - 1}/${TOTAL}`, 'content-length': body.length },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', () => resolve(0));
      req.end(body);
    });

  // The clock stands still: the restarted host's first PUT can come in the same millisecond as the
  // kill (a fast machine), and must still count as sent after it.
  let frozen: jest.SpyInstance;
  beforeEach(() => {
    const now = Date.now();
    frozen = jest.spyOn(Date, 'now').mockReturnValue(now);
  });
  afterEach(() => frozen.mockRestore());

  /** The server answers every request with `status` from now on. */
  const answerWith = (status: number): void => {
    answer = (_req, res) => {
      res.writeHead(status);
      res.end();
    };
  };

  /**
   * The host's PUT of [start, end) is cut by the kill (its socket destroyed as it arrives, after
   * `onArrival`), and the host is started again.
   */
  const cutByKill = async (start: number, end: number, onArrival: () => void): Promise<void> => {
    const cut = new Promise<void>((resolve) => {
      answer = (req) => {
        onArrival();
        req.socket.destroy();
        resolve();
      };
    });
    const lost = put(start, end);
    await cut;
    await lost;
    tracker.hostRestarted();
  };

  it('charges a resend after the restart to the kill, and one after a fault on it to the fault', async () => {
    answerWith(202);
    expect(await put(0, 100)).toBe(202);
    // The second chunk is on the wire when the host is killed: the kill cuts it.
    await cutByKill(100, 200, () => tracker.killStarted(1));
    // The restarted host sends it again; the answer is an injected 416.
    answerWith(416);
    expect(await put(100, 200)).toBe(416);
    answerWith(202);
    expect(await put(100, 200)).toBe(202);
    const report = tracker.report(100);
    expect(report.byCause).toEqual({ 'kill 1': 100, fault: 100 });
    expect(report.kills[0]).toMatchObject({ kill: 1, sessionBytes: 100, maxSessionBytesPerFile: 100 });
  });

  it('charges the resend of a chunk the dying host sent after the kill began to the kill', async () => {
    answerWith(202);
    expect(await put(0, 100)).toBe(202);
    // The kill has begun with nothing on the wire; before the host dies it sends one more chunk,
    // and its death cuts it.
    tracker.killStarted(1);
    await cutByKill(100, 200, () => undefined);
    answerWith(202);
    expect(await put(100, 200)).toBe(202);
    expect(await put(200, 300)).toBe(202);
    const report = tracker.report(100);
    expect(report.byCause).toEqual({ 'kill 1': 100 });
    expect(report.kills[0]).toMatchObject({ kill: 1, sessionBytes: 100, maxSessionBytesPerFile: 100 });
  });
});
