// The local stand-in for Event Grid against Azurite: it lists an event-driven job's container,
// announces nothing for what was there at its first listing, then publishes new, changed and deleted
// blobs as the events Azure Storage would, which the real handlers accept and act on.
import { QUEUES } from '../../src/app/queues';
import { readBlobEvent } from '../../src/events/blobEvent';
import { LocalChangeDetector } from '../../src/local/changeDetector';
import { createLogger } from '../../src/log/logger';
import { content, startGraph, type GraphFixture } from './backupHarness';
import { ACCOUNT, drain, driveFiles, eventsWorld, settle, write, type EventsWorld } from './eventsWorld';

let fx: GraphFixture;
beforeAll(async () => {
  fx = await startGraph('work');
});
afterAll(async () => fx.graph.stop());

function detector(w: EventsWorld): LocalChangeDetector {
  return new LocalChangeDetector({
    backup: async () => w.backup,
    send: (queue, message) => w.backup.send(queue, message),
    defaultAccount: ACCOUNT,
    intervalMs: 60_000,
    log: createLogger({ test: 'changeDetector' }),
  });
}

describe('LocalChangeDetector', () => {
  it('publishes storage events for new, changed and deleted blobs after its first listing, which the handlers copy', async () => {
    const w = await eventsWorld(fx, { propagateDeletes: true });
    await write(w, 'before.txt', content(5));
    const d = detector(w);
    expect(await d.scan()).toBe(0); // the baseline: blobs already there announce nothing
    const fresh = content(9);
    await write(w, 'dir/new file.txt', fresh);
    await write(w, 'before.txt', content(6));
    expect(await d.scan()).toBe(2);
    const published = w.queue
      .filter((m) => m.queue === QUEUES.blobEvents)
      .map((m) => readBlobEvent(m.message));
    expect(published.map((p) => (p.action === 'handle' ? [p.event.kind, p.event.blobName] : p))).toEqual([
      ['created', 'before.txt'],
      ['created', 'dir/new file.txt'],
    ]);
    await drain(w); // the blob-events queue: each event recorded, its settle check queued
    await settle(w);
    expect(w.outcomes).toEqual(['queued', 'queued']);
    expect(driveFiles(w).get('dir/new file.txt')?.equals(fresh)).toBe(true);
    expect(driveFiles(w).has('before.txt')).toBe(true);

    await w.container.deleteBlob('dir/new file.txt');
    expect(await d.scan()).toBe(1);
    expect(await d.scan()).toBe(0); // nothing changed since
    await drain(w);
    await settle(w);
    expect(driveFiles(w).has('dir/new file.txt')).toBe(false);
  });

  it('lists only event-driven jobs', async () => {
    const w = await eventsWorld(fx, { trigger: 'schedule' });
    const d = detector(w);
    await d.scan();
    await write(w, 'x.txt', content(5));
    expect(await d.scan()).toBe(0);
  });
});
