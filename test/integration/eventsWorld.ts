// The events world: the events area's handlers and the backup pipeline's, over fresh Azurite tables,
// an Azurite source container and the Graph emulator, with a queue that honours visibility delays
// on the test's clock (a settle check is invisible until EVENTS_SETTLE_SECONDS have passed on it).
import type { ContainerClient } from '@azure/storage-blob';
import { QUEUES } from '../../src/app/queues';
import type { BackupDeps } from '../../src/backup/deps';
import { handlePlanMessage } from '../../src/backup/planner';
import { handleUploadMessage } from '../../src/backup/uploader';
import type { EventDeps } from '../../src/events/deps';
import { EventStateStore } from '../../src/events/eventState';
import { handleBlobEventMessage } from '../../src/events/receive';
import { handleSettleCheck, type SettleOutcome } from '../../src/events/settleCheck';
import { ManualClock } from '../../src/runtime/clock';
import type { Job } from '../../src/store/jobs';
import {
  azuriteTable,
  backupDeps,
  createBackupJob,
  newContainer,
  putBlob,
  inAppFolder,
  type GraphFixture,
} from './backupHarness';

export const ACCOUNT = 'devstoreaccount1';
export const SETTLE_SECONDS = 5;
export const ROOT = 'Apps/Backup';

export interface TimedMessage {
  queue: string;
  message: unknown;
  visibleAt: number;
}

export interface EventsWorld {
  backup: BackupDeps;
  events: EventDeps;
  clock: ManualClock;
  queue: TimedMessage[];
  container: ContainerClient;
  job: Job;
  fx: GraphFixture;
  outcomes: SettleOutcome[];
  jobFolder: string;
  requestsBefore: number;
}

export async function eventsWorld(
  fx: GraphFixture,
  jobInput: Record<string, unknown> = {},
): Promise<EventsWorld> {
  const container = await newContainer();
  const clock = new ManualClock(Date.now());
  const queue: TimedMessage[] = [];
  const backup = backupDeps({
    fx,
    clock,
    send: async (q, message, options) =>
      void queue.push({
        queue: q,
        message: JSON.parse(JSON.stringify(message)),
        visibleAt: clock.now() + (options?.visibilityTimeoutSeconds ?? 0) * 1000,
      }),
    rootFolder: ROOT,
    plannerPageSize: 50,
    logName: 'events',
  });
  backup.settings.eventsSettleSeconds = SETTLE_SECONDS;
  backup.settings.eventsEnabled = true;
  const events: EventDeps = {
    backup,
    state: new EventStateStore(azuriteTable('blobevents')),
    settings: { settleSeconds: SETTLE_SECONDS, accounts: [ACCOUNT], defaultAccount: ACCOUNT },
  };
  const job = await createBackupJob(
    backup,
    { name: 'events', container: container.containerName, now: new Date(clock.now()) },
    { trigger: 'both', ...jobInput },
  );
  return {
    backup,
    events,
    clock,
    queue,
    container,
    job,
    fx,
    outcomes: [],
    jobFolder: `${ROOT}/${job.destinationFolder}`,
    requestsBefore: fx.graph.server.requests.length,
  };
}

/** An event exactly as Azure Storage publishes it (Event Grid schema), for a blob of the world. */
export function blobEvent(
  w: EventsWorld,
  kind: 'created' | 'deleted',
  name: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const container = w.container.containerName;
  return {
    id: `evt-${Math.random().toString(16).slice(2)}`,
    topic: `/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/${ACCOUNT}`,
    subject: `/blobServices/default/containers/${container}/blobs/${name}`,
    eventType: kind === 'created' ? 'Microsoft.Storage.BlobCreated' : 'Microsoft.Storage.BlobDeleted',
    eventTime: new Date(w.clock.now()).toISOString(),
    dataVersion: '',
    metadataVersion: '1',
    data: {
      api: kind === 'created' ? 'PutBlob' : 'DeleteBlob',
      // What the event says about the blob: never trusted (sizes and ETags are read again).
      eTag: '0x8D0000000000000',
      contentLength: 1,
      blobType: 'BlockBlob',
      url: `http://127.0.0.1:10000/${ACCOUNT}/${container}/${name.split('/').map(encodeURIComponent).join('/')}`,
    },
    ...overrides,
  };
}

/** Writes a blob and returns its ETag. */
export async function write(w: EventsWorld, name: string, data: Buffer): Promise<string> {
  return putBlob(w.container, name, data);
}

/** The blob-events queue receives `event` (as Event Grid's storage queue destination would write it). */
export async function deliverEvent(w: EventsWorld, event: unknown): Promise<void> {
  await handleBlobEventMessage(w.events, event);
}

/** Delivers every visible message in order (events, settle checks, uploads, plan pages) until none is visible. */
export async function drain(w: EventsWorld): Promise<void> {
  for (;;) {
    const index = w.queue.findIndex((m) => m.visibleAt <= w.clock.now());
    if (index < 0) return;
    const [{ queue, message }] = w.queue.splice(index, 1);
    if (queue === QUEUES.blobEvents) await handleBlobEventMessage(w.events, message);
    else if (queue === QUEUES.blobSettle) w.outcomes.push(await handleSettleCheck(w.events, message));
    else if (queue === QUEUES.upload) await handleUploadMessage(w.backup, message);
    else if (queue === QUEUES.plan) await handlePlanMessage(w.backup, message);
    else throw new Error(`unexpected queue ${queue}`);
  }
}

/**
 * Moves the test clock past the settle time (and Azurite's whole-second last-modified) and drains.
 * The clock first catches up with the real one: Azurite stamps a blob's last-modified in real time,
 * so on a slow machine a blob written seconds after the world began would otherwise still look
 * fresh after the advance.
 */
export async function settle(w: EventsWorld, seconds = SETTLE_SECONDS + 2): Promise<void> {
  w.clock.advance(Math.max(0, Date.now() - w.clock.now()));
  w.clock.advance(seconds * 1000);
  await drain(w);
}

const strip = (path: string): string => path.replace(/^\/+/, '');

/** Live files below the job's folder: relative path → bytes. */
export function driveFiles(w: EventsWorld): Map<string, Buffer> {
  const prefix = `${w.jobFolder}/`;
  return new Map(
    w.fx.graph
      .listFiles(w.fx.driveId)
      .map((f) => ({ path: strip(f.path), content: f.content }))
      .filter((f) => f.path.startsWith(prefix) && !inAppFolder(f.path))
      .map((f) => [f.path.slice(prefix.length), f.content]),
  );
}

/** Upload requests (simple PUTs and session creations) this world sent for `name`. */
export function uploadsOf(w: EventsWorld, name: string): number {
  return w.fx.graph.server.requests
    .slice(w.requestsBefore)
    .filter(
      (r) =>
        (r.method === 'PUT' && decodeURIComponent(r.path).includes(`/${name}:/content`)) ||
        (r.method === 'POST' && decodeURIComponent(r.path).includes(`/${name}:/createUploadSession`)),
    ).length;
}

/** Graph requests this world sent so far (the run index of a scheduled run included). */
export function graphRequests(w: EventsWorld): number {
  return w.fx.graph.server.requests.length - w.requestsBefore;
}
