// Blob events as Event Grid delivers them from a storage account's system topic (Event Grid schema),
// read without trusting them. The queue they arrive on is written only by Event Grid and this app,
// but a message is still a claim: what it may decide is which blob of which account to look at. The
// blob's size, ETag and existence are always read again from the source (./settleCheck.ts), never
// taken from the event's data. Anything that does not look exactly like a storage event for a blob
// is refused with the reason, and nothing is done for it.
//
// Shapes (Microsoft.Storage events, https://learn.microsoft.com/azure/event-grid/event-schema-blob-storage):
//   topic    /subscriptions/{id}/resourceGroups/{rg}/providers/Microsoft.Storage/storageAccounts/{account}
//   subject  /blobServices/default/containers/{container}/blobs/{blob name, unencoded}
//   data.url https://{account}.blob.core.windows.net/{container}/{blob name, URL-encoded}

import { parseStorageUrl } from './storageUrl';

export const BLOB_CREATED = 'Microsoft.Storage.BlobCreated';
export const BLOB_DELETED = 'Microsoft.Storage.BlobDeleted';

export interface BlobEvent {
  kind: 'created' | 'deleted';
  /** Storage account name, lowercase (from the topic). */
  account: string;
  container: string;
  blobName: string;
  eventTime: string;
  id: string;
}

export type BlobEventDecision =
  | { action: 'handle'; event: BlobEvent }
  | { action: 'ignore'; reason: string }
  | { action: 'refuse'; reason: string };

const TOPIC =
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Storage\/storageAccounts\/([a-z0-9]{3,24})$/i;
const SUBJECT_PREFIX = '/blobServices/default/containers/';
const CONTAINER = /^(?=.{3,63}$)[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9]))*$/;

const refuse = (reason: string): BlobEventDecision => ({ action: 'refuse', reason });

/** A blob name the events path accepts: what the planner could list, without path tricks. */
export function blobNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'the blob name is empty';
  if (name.length > 1024) return 'the blob name is longer than 1,024 characters';
  // Control characters never come from a real listing's names here; they only hide what a log shows.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'the blob name holds control characters';
  if (name.includes('\\')) return 'the blob name holds a backslash';
  if (name.startsWith('/')) return 'the blob name starts with /';
  // Storage and OneDrive both resolve dot segments, so such a name could address another file.
  if (name.split('/').some((segment) => segment === '.' || segment === '..'))
    return 'the blob name holds a . or .. segment';
  return undefined;
}

/** Reads one Event Grid event. Not a blob event we handle: ignore; malformed or forged: refuse. */
export function readBlobEvent(raw: unknown): BlobEventDecision {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return refuse('the event is not a JSON object');
  const e = raw as Record<string, unknown>;
  if (typeof e.eventType !== 'string') return refuse('eventType is missing');
  if (e.eventType !== BLOB_CREATED && e.eventType !== BLOB_DELETED)
    return { action: 'ignore', reason: `event type ${e.eventType}` };
  if (typeof e.id !== 'string' || !e.id || e.id.length > 128) return refuse('id is missing');
  if (typeof e.eventTime !== 'string' || Number.isNaN(Date.parse(e.eventTime)))
    return refuse('eventTime is not a time');
  if (typeof e.topic !== 'string') return refuse('topic is missing');
  const topic = TOPIC.exec(e.topic);
  if (!topic) return refuse('the topic is not a storage account');
  const account = topic[1].toLowerCase();
  if (typeof e.subject !== 'string' || !e.subject.startsWith(SUBJECT_PREFIX))
    return refuse('the subject is not a blob of the blob service');
  const rest = e.subject.slice(SUBJECT_PREFIX.length);
  const marker = rest.indexOf('/blobs/');
  if (marker < 0) return refuse('the subject names no blob');
  const container = rest.slice(0, marker);
  const blobName = rest.slice(marker + '/blobs/'.length);
  if (!CONTAINER.test(container)) return refuse('the subject names no valid container');
  const problem = blobNameProblem(blobName);
  if (problem) return refuse(problem);
  if (!e.data || typeof e.data !== 'object' || Array.isArray(e.data)) return refuse('data is missing');
  const url = (e.data as Record<string, unknown>).url;
  if (typeof url !== 'string') return refuse('data.url is missing');
  // The subject and the URL are two spellings of the same blob; a message in which they disagree
  // was not written by the storage account.
  const mismatch = urlMismatch(url, account, container, blobName);
  if (mismatch) return refuse(mismatch);
  return {
    action: 'handle',
    event: {
      kind: e.eventType === BLOB_CREATED ? 'created' : 'deleted',
      account,
      container,
      blobName,
      eventTime: new Date(e.eventTime).toISOString(),
      id: e.id,
    },
  };
}

function urlMismatch(raw: string, account: string, container: string, blobName: string): string | undefined {
  const url = parseStorageUrl(raw);
  if (!url.ok) return `data.url is not a blob URL: ${url.reason}`;
  if (url.account !== account) return 'data.url names another account than the topic';
  const expected = `/${container}/${blobName}`;
  let decoded: string;
  try {
    decoded = decodeURIComponent(url.path);
  } catch {
    return 'data.url is not properly encoded';
  }
  return decoded === expected ? undefined : 'data.url names another blob than the subject';
}

/** Event Grid writes one event per queue message; an array (a batch) is read too. */
export function eventsOf(message: unknown): unknown[] {
  if (Array.isArray(message)) return message;
  // The queue trigger hands over text that is not JSON as a string: refused as not an event.
  return [message];
}
