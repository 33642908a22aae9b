// The blob-events queue: each message is one Event Grid event from a source account's system topic.
// For every event-driven job the blob belongs to (its account, container and prefix), the event is
// recorded as the blob's latest and a settle check is queued, invisible for EVENTS_SETTLE_SECONDS.
// Nothing is uploaded here: a burst of writes to one blob leaves one latest event, and only its
// check copies the blob, once it stopped changing (./settleCheck.ts).
import { QUEUES } from '../app/queues';
import { eventDriven, type Job } from '../store/jobs';
import { eventsOf, readBlobEvent, type BlobEvent } from './blobEvent';
import type { EventDeps } from './deps';
import type { SettleMessage } from './messages';
import { parseStorageUrl } from './storageUrl';

/** The storage account a job reads, lowercase; undefined when it cannot be told. */
export function jobAccount(job: Pick<Job, 'source'>, defaultAccount: string | undefined): string | undefined {
  if (!job.source.blobEndpoint) return defaultAccount?.toLowerCase();
  const url = parseStorageUrl(job.source.blobEndpoint);
  return url.ok ? url.account : undefined;
}

/** The jobs whose backups the event should start. */
export function jobsFor(event: BlobEvent, jobs: readonly Job[], defaultAccount: string | undefined): Job[] {
  return jobs.filter(
    (job) =>
      eventDriven(job) &&
      job.source.container === event.container &&
      event.blobName.startsWith(job.source.prefix ?? '') &&
      jobAccount(job, defaultAccount) === event.account &&
      (event.kind === 'created' || job.propagateDeletes),
  );
}

export async function handleBlobEventMessage(deps: EventDeps, raw: unknown): Promise<void> {
  const { backup, settings } = deps;
  let jobs: Job[] | undefined;
  for (const candidate of eventsOf(raw)) {
    const decision = readBlobEvent(candidate);
    if (decision.action === 'refuse') {
      // Not something a storage account wrote: say why, and do nothing for it.
      backup.log.warn('events.refused', { reason: decision.reason });
      continue;
    }
    if (decision.action === 'ignore') {
      backup.log.info('events.ignored', { reason: decision.reason });
      continue;
    }
    const event = decision.event;
    const log = backup.log.child({ file: event.blobName, eventId: event.id });
    if (!settings.accounts.includes(event.account)) {
      log.warn('events.refused', { reason: `events from storage account ${event.account} are not expected` });
      continue;
    }
    jobs ??= await backup.jobs.list();
    const matching = jobsFor(event, jobs, settings.defaultAccount);
    if (!matching.length) {
      log.info('events.ignored', { reason: 'no event-driven job backs up this blob', kind: event.kind });
      continue;
    }
    const receivedAt = new Date(backup.clock.now()).toISOString();
    for (const job of matching) {
      const token = await deps.state.recordEvent(job.id, event.blobName, {
        kind: event.kind,
        eventTime: event.eventTime,
        receivedAt,
      });
      const check: SettleMessage = { v: 1, jobId: job.id, blobName: event.blobName, token, waits: 0 };
      await backup.send(QUEUES.blobSettle, check, { visibilityTimeoutSeconds: settings.settleSeconds });
      log.info('events.received', { jobId: job.id, kind: event.kind });
    }
  }
}
