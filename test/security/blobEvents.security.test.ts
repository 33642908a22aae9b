// Attacks on the blob-events path. Anyone who can write to `blob-events` or `blob-events-settle` (or
// forge what Event Grid delivers) chooses every byte of the message. What such a message may decide
// is which blob of which expected account to look at: names that could address another file,
// malformed fields and bodies are refused with the reason before any table, queue or source is
// touched; a deletion the source does not confirm removes nothing; a settle check is acted on only
// with the token of the blob's latest recorded event, for the job and blob that event was recorded
// under. The URL in an event is compared, never requested.
import { QUEUES } from '../../src/app/queues';
import { odata } from '@azure/data-tables';
import { EVENT_STATE_TABLE } from '../../src/events/eventState';
import { azuriteTable, content, useGraph, type GraphFixture } from '../integration/backupHarness';
import {
  ACCOUNT,
  blobEvent,
  deliverEvent,
  driveFiles,
  eventsWorld,
  graphRequests,
  settle,
  uploadsOf,
  write,
  type EventsWorld,
} from '../integration/eventsWorld';

let fx: GraphFixture;
const logLines: Array<Record<string, unknown>> = [];
const refusals = (): unknown[] => logLines.filter((l) => l.event === 'events.refused').map((l) => l.reason);

useGraph(
  'work',
  (started) => (fx = started),
  (line) => void logLines.push(JSON.parse(line) as Record<string, unknown>),
);
beforeEach(() => {
  logLines.length = 0;
});

/** Every row of the world's events table (none may be written for a refused event). */
async function eventRows(w: EventsWorld): Promise<number> {
  let rows = 0;
  const table = azuriteTable(EVENT_STATE_TABLE);
  await table.createTable(); // nothing written yet may mean no table yet
  for await (const _row of table.listEntities({
    queryOptions: { filter: odata`PartitionKey eq ${w.job.id}` },
  }))
    rows += 1;
  return rows;
}

describe('forged blob events are refused before anything is recorded', () => {
  it('names that could address another file, hide text or overflow, and malformed fields', async () => {
    const w = await eventsWorld(fx);
    await write(w, 'target.txt', content(3));
    const c = w.container.containerName;
    const url = (name: string): string => `http://127.0.0.1:10000/${ACCOUNT}/${c}/${name}`;
    const named = (name: string, encoded = encodeURIComponent(name)): Record<string, unknown> =>
      blobEvent(w, 'created', 'target.txt', {
        subject: `/blobServices/default/containers/${c}/blobs/${name}`,
        data: { url: url(encoded) },
      });
    const cases: Array<[unknown, string]> = [
      [
        named('x/../../other/target.txt', 'x/../../other/target.txt'),
        'the blob name holds a . or .. segment',
      ],
      [named('..'), 'the blob name holds a . or .. segment'],
      [named('/target.txt'), 'the blob name starts with /'],
      [named('a\\..\\target.txt'), 'the blob name holds a backslash'],
      [named('target\u001b[2J.txt'), 'the blob name holds control characters'],
      [named('target\r\n{"event":"forged"}.txt'), 'the blob name holds control characters'],
      [named('x'.repeat(1025)), 'the blob name is longer than 1,024 characters'],
      [named(''), 'the blob name is empty'],
      // The container part: not a container name, or another container's path smuggled in.
      [
        blobEvent(w, 'created', 'target.txt', {
          subject: `/blobServices/default/containers/../${c}/blobs/target.txt`,
        }),
        'the subject names no valid container',
      ],
      [
        blobEvent(w, 'created', 'target.txt', { subject: `/blobServices/default/containers/${c}` }),
        'the subject names no blob',
      ],
      // The URL must spell the same blob of the same account; it is only compared.
      [
        blobEvent(w, 'created', 'target.txt', { data: { url: 'not a url' } }),
        'data.url is not a blob URL: it is not a URL',
      ],
      [
        blobEvent(w, 'created', 'target.txt', { data: { url: `${url('')}%E0%A4%A` } }),
        'data.url is not properly encoded',
      ],
      [
        blobEvent(w, 'created', 'target.txt', {
          data: { url: `http://127.0.0.1:10000/otheraccount/${c}/target.txt` },
        }),
        'data.url names another account than the topic',
      ],
      [
        blobEvent(w, 'created', 'target.txt', { data: { url: 'https://evil.example/c/target.txt' } }),
        "data.url is not a blob URL: evil.example is neither a storage account's blob host nor an emulator's (path-style) host",
      ],
      [
        blobEvent(w, 'created', 'target.txt', {
          data: { url: `https://otheraccount.blob.core.windows.net/${c}/target.txt` },
        }),
        'data.url names another account than the topic',
      ],
      [blobEvent(w, 'created', 'target.txt', { data: 'x' }), 'data is missing'],
      [blobEvent(w, 'created', 'target.txt', { eventType: 42 }), 'eventType is missing'],
      [blobEvent(w, 'created', 'target.txt', { id: 'i'.repeat(129) }), 'id is missing'],
      [blobEvent(w, 'created', 'target.txt', { eventTime: 'yesterday' }), 'eventTime is not a time'],
      [blobEvent(w, 'created', 'target.txt', { topic: { toString: 'x' } }), 'topic is missing'],
      [null, 'the event is not a JSON object'],
      [[[blobEvent(w, 'created', 'target.txt')]], 'the event is not a JSON object'],
    ];
    const requests = graphRequests(w);
    for (const [event] of cases) await deliverEvent(w, event);
    expect(refusals()).toEqual(cases.map(([, reason]) => reason));
    expect(w.queue).toHaveLength(0);
    expect(await eventRows(w)).toBe(0);
    expect(graphRequests(w)).toBe(requests);
    // No log line carries the control characters a name held.
    // eslint-disable-next-line no-control-regex
    expect(logLines.some((l) => /[\u0000-\u001f]/.test(JSON.stringify(l.reason)))).toBe(false);
  });

  it('a batch of events is read one by one: the forged ones are refused, the genuine one still copies', async () => {
    const w = await eventsWorld(fx);
    await write(w, 'real.txt', content(5));
    await deliverEvent(w, [
      blobEvent(w, 'created', '../real.txt'),
      'garbage',
      blobEvent(w, 'created', 'real.txt'),
      blobEvent(w, 'created', 'real.txt', { topic: '/subscriptions/x' }),
    ]);
    expect(refusals()).toHaveLength(3);
    await settle(w);
    expect([...driveFiles(w).keys()]).toEqual(['real.txt']);
    expect(uploadsOf(w, 'real.txt')).toBe(1);
  });

  it('an event for another job’s container starts nothing for it, and nothing for the job it does not match', async () => {
    const w = await eventsWorld(fx);
    const other = await eventsWorld(fx, { trigger: 'schedule' });
    await write(other, 'secret.txt', content(4));
    const c = other.container.containerName;
    // A genuine-looking event for the other job's container (that job takes no events).
    await deliverEvent(
      w,
      blobEvent(w, 'created', 'secret.txt', {
        subject: `/blobServices/default/containers/${c}/blobs/secret.txt`,
        data: { url: `http://127.0.0.1:10000/${ACCOUNT}/${c}/secret.txt` },
      }),
    );
    await settle(w);
    expect(w.queue).toHaveLength(0);
    expect(driveFiles(w).size).toBe(0);
    expect(driveFiles(other).size).toBe(0);
  });
});

describe('a forged deletion removes nothing the source still holds', () => {
  it('a BlobDeleted for a copied blob that exists keeps the copy and its manifest entry', async () => {
    const w = await eventsWorld(fx, { propagateDeletes: true });
    await write(w, 'keep.txt', content(6));
    await deliverEvent(w, blobEvent(w, 'created', 'keep.txt'));
    await settle(w);
    expect([...driveFiles(w).keys()]).toEqual(['keep.txt']);
    const entry = await w.backup.manifest.get(w.job.id, 'keep.txt');
    expect(entry).toBeDefined();

    await deliverEvent(w, blobEvent(w, 'deleted', 'keep.txt'));
    await settle(w);
    expect([...driveFiles(w).keys()]).toEqual(['keep.txt']);
    expect((await w.backup.manifest.get(w.job.id, 'keep.txt'))?.driveItemId).toBe(entry!.driveItemId);
    expect(logLines.some((l) => l.event === 'events.file.removed')).toBe(false);
  });
});

describe('forged settle checks', () => {
  it('a token of another blob or another job, a made-up one, and malformed fields do nothing', async () => {
    const w = await eventsWorld(fx);
    const other = await eventsWorld(fx);
    await write(w, 'a.txt', content(3));
    await write(w, 'b.txt', content(3));
    await deliverEvent(w, blobEvent(w, 'created', 'a.txt'));
    const genuine = w.queue.splice(0);
    expect(genuine).toHaveLength(1);
    const check = genuine[0].message as { jobId: string; blobName: string; token: string };

    const forged: unknown[] = [
      // The genuine token on another blob of the same job (b.txt has no event), and on another job.
      { ...check, blobName: 'b.txt' },
      { ...check, jobId: other.job.id },
      { ...check, token: 'AAAAAAAAAAAAAAAA' },
    ];
    for (const message of forged) w.queue.push({ queue: QUEUES.blobSettle, message, visibleAt: 0 });
    await settle(w);
    expect(w.outcomes).toEqual(['superseded', 'superseded', 'superseded']);
    expect(uploadsOf(w, 'b.txt')).toBe(0);
    expect(driveFiles(other).size).toBe(0);

    const malformed: Array<[unknown, RegExp]> = [
      [{ ...check, blobName: '../a.txt' }, /\. or \.\. segment/],
      [{ ...check, blobName: 'a\u0000.txt' }, /control characters/],
      [{ ...check, jobId: '../jobs' }, /jobId missing or malformed/],
      [{ ...check, token: `${check.token}'or'1'='1` }, /token missing or malformed/],
      [{ ...check, waits: -1 }, /waits must be a whole number/],
      [{ ...check, waits: 1e300 }, /waits must be a whole number/],
      [{ ...check, v: 2 }, /unknown version/],
      ['x'.repeat(60_000), /not a JSON object/],
    ];
    for (const [message, reason] of malformed) {
      w.queue.push({ queue: QUEUES.blobSettle, message, visibleAt: 0 });
      await expect(settle(w)).rejects.toMatchObject({
        code: 'MessageInvalid',
        message: expect.stringMatching(reason),
      });
      w.queue.length = 0;
    }

    // The genuine check, still unused, copies a.txt once.
    w.queue.push({ ...genuine[0], visibleAt: 0 });
    await settle(w);
    expect([...driveFiles(w).keys()]).toEqual(['a.txt']);
    expect(uploadsOf(w, 'a.txt')).toBe(1);
  });
});
