// The product's queues and how their messages are encoded. Azure Functions' queue trigger expects
// base64 message text by default (host.json `messageEncoding: base64`), so everything that sends a
// message encodes it here, and the local host decodes it the same way the Functions host does.

export const QUEUES = {
  plan: 'backup-plan',
  upload: 'backup-upload',
  restore: 'restore',
  /** Blob events, written by the Event Grid subscription on the source account (src/events/). */
  blobEvents: 'blob-events',
  /** Delayed settle checks: one per blob event, visible after EVENTS_SETTLE_SECONDS. */
  blobSettle: 'blob-events-settle',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/** Where the Functions host moves a message that failed maxDequeueCount times. */
export function poisonQueueName(queue: string): string {
  return `${queue}-poison`;
}

/** Every queue the app uses, work queues and their poison twins. */
export const ALL_QUEUES: readonly string[] = Object.values(QUEUES).flatMap((q) => [q, poisonQueueName(q)]);

export function encodeQueueMessage(message: unknown): string {
  const text = typeof message === 'string' ? message : JSON.stringify(message);
  return Buffer.from(text, 'utf8').toString('base64');
}

/** Base64 text → the JSON value it carries, or the plain string when it is not JSON (as the Functions host does). */
export function decodeQueueMessage(messageText: string): unknown {
  const text = Buffer.from(messageText, 'base64').toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
