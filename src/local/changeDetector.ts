// LOCAL STAND-IN for the source account's Event Grid subscription. Azurite emits no blob events, so
// the local host lists the source of every event-driven job every few seconds, compares it with the
// previous listing, and publishes what changed as the Event Grid events Azure Storage would send
// (Microsoft.Storage.BlobCreated / BlobDeleted, Event Grid schema) into the same blob-events queue,
// where the same functions handle them. Blobs present at the first listing announce nothing, as
// Event Grid announces nothing about blobs written before its subscription existed: the scheduled
// run covers those. Not used in Azure, where the real subscription (infra/) writes the queue.
import { randomUUID } from 'node:crypto';
import { QUEUES } from '../app/queues';
import type { BackupDeps } from '../backup/deps';
import { BLOB_CREATED, BLOB_DELETED } from '../events/blobEvent';
import { jobAccount } from '../events/receive';
import type { Logger } from '../log/logger';
import { eventDriven, type Job } from '../store/jobs';

export interface ChangeDetectorOptions {
  backup: () => Promise<BackupDeps>;
  send: (queue: string, message: unknown) => Promise<void>;
  /** The account of SOURCE_CONNECTION_STRING (Azurite's devstoreaccount1). */
  defaultAccount: string | undefined;
  intervalMs: number;
  log: Logger;
}

/** What one listing saw: blob name → ETag, per account, container and prefix listed. */
type Seen = Map<string, Map<string, string>>;

export class LocalChangeDetector {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  private seen: Seen = new Map();

  constructor(private readonly options: ChangeDetectorOptions) {}

  start(): void {
    this.options.log.info('changeDetector.started', {
      intervalMs: this.options.intervalMs,
      note: 'local stand-in for Event Grid blob events',
    });
    const tick = (): void => {
      if (this.stopped) return;
      this.running = this.scan()
        .then(() => undefined)
        .catch((error: unknown) => this.options.log.warn('changeDetector.scan.failed', { error }))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.options.intervalMs);
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** One pass: list each event-driven job's source, publish what changed since the last pass. */
  async scan(): Promise<number> {
    const backup = await this.options.backup();
    const jobs = (await backup.jobs.list()).filter(eventDriven);
    const next: Seen = new Map();
    let published = 0;
    for (const job of jobs) {
      const account = jobAccount(job, this.options.defaultAccount);
      if (!account) continue;
      const key = `${account}/${job.source.container}/${job.source.prefix ?? ''}`;
      if (next.has(key)) continue; // two jobs on one source: one listing, one event each blob
      const listing = await this.list(backup, job);
      next.set(key, listing);
      const before = this.seen.get(key);
      if (!before) continue; // the first listing is the baseline
      for (const [name, etag] of listing)
        if (before.get(name) !== etag)
          published += await this.publish(BLOB_CREATED, account, job, name, etag);
      for (const [name] of before)
        if (!listing.has(name)) published += await this.publish(BLOB_DELETED, account, job, name);
    }
    this.seen = next;
    return published;
  }

  private async list(backup: BackupDeps, job: Job): Promise<Map<string, string>> {
    const source = backup.source(job);
    const out = new Map<string, string>();
    let token: string | undefined;
    do {
      const page = await source.listPage(token, 5000);
      for (const item of page.items) out.set(item.name, item.etag);
      token = page.continuationToken;
    } while (token);
    return out;
  }

  private async publish(
    type: string,
    account: string,
    job: Job,
    name: string,
    etag?: string,
  ): Promise<number> {
    const container = job.source.container;
    // The shape Azure Storage publishes (only the fields the handler reads are filled in).
    const event = {
      id: randomUUID(),
      topic: `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/local/providers/Microsoft.Storage/storageAccounts/${account}`,
      subject: `/blobServices/default/containers/${container}/blobs/${name}`,
      eventType: type,
      eventTime: new Date().toISOString(),
      dataVersion: '',
      metadataVersion: '1',
      data: {
        api: type === BLOB_CREATED ? 'PutBlob' : 'DeleteBlob',
        ...(etag ? { eTag: etag } : {}),
        blobType: 'BlockBlob',
        url: `${sourceUrl(job, account)}/${container}/${name.split('/').map(encodeURIComponent).join('/')}`,
      },
    };
    await this.options.send(QUEUES.blobEvents, event);
    return 1;
  }
}

function sourceUrl(job: Job, account: string): string {
  return job.source.blobEndpoint ?? `http://127.0.0.1:10000/${account}`;
}
