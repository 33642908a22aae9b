// The local host's stop closes its HTTP server, queue pollers and timers, so nothing it started keeps
// the process alive. In a file of its own: a host running alongside (as localHost.test.ts keeps one
// for its whole file) makes the process's timer count move up and down under load, and the check
// compares that count with what it was before these hosts started.
import { startLocalHost, type LocalHostOptions } from '../../src/local/host';
import { uniqueName } from '../helpers/azurite';
import { offlineHostEnv } from '../helpers/localHostEnv';

async function until(probe: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const count = (list: string[], type: string): number => list.filter((r) => r === type).length;

/** A host on Azurite with no Key Vault or Graph behind it, polling fast. */
function startHost(functions: LocalHostOptions['functions'], env: Record<string, string> = {}) {
  return startLocalHost({
    functions,
    port: 0,
    embedded: false,
    env: offlineHostEnv(env),
    queue: { minPollingIntervalMs: 20, maxPollingIntervalMs: 200 },
  });
}

describe('local host stop', () => {
  it('closes the server, pollers and timers, leaving no handle keeping the process alive', async () => {
    const before = process.getActiveResourcesInfo();
    const extra = await startHost((app) => app.filter((f) => f.trigger.type !== 'queue'), {
      SCHEDULER_CRON: '0 0 0 * * *',
    });
    const poller = await startHost([
      {
        name: 'idleWorker',
        trigger: { type: 'queue', queueName: uniqueName('lhidle'), handler: async () => undefined },
      },
    ]);
    expect((await fetch(`${extra.url}/api/health`)).status).toBe(200);
    expect(count(process.getActiveResourcesInfo(), 'TCPServerWrap')).toBeGreaterThan(
      count(before, 'TCPServerWrap'),
    );
    await Promise.all([extra.stop(), poller.stop()]);
    // A closed server's handle leaves libuv's list a loop turn or two after close() resolved, so the
    // check waits (bounded) for the counts to return to where they were; a leaked server never does.
    let after: string[] = [];
    await until(() => {
      after = process.getActiveResourcesInfo();
      return (
        count(after, 'TCPServerWrap') === count(before, 'TCPServerWrap') &&
        count(after, 'Timeout') <= count(before, 'Timeout')
      );
      // Bounded, not short: on a loaded machine the loop turns come slowly; a leak never settles.
    }, 10_000).catch((error: Error) => {
      throw new Error(`${error.message}: before ${before.join(', ')}; after ${after.join(', ')}`);
    });
    await expect(fetch(`${extra.url}/api/health`)).rejects.toThrow();
  });
});
