// The events area's entries in the function table: the blob-events queue (written by the source
// account's Event Grid subscription, or locally by the change detector), the delayed settle checks,
// and their poison twins. Thin: parse, call.
import { QUEUES, poisonQueueName } from '../app/queues';
import type { DepsProvider, FunctionDefinition } from '../app/types';
import { ALERT_EVENTS, logAlert } from '../log/alertEvents';
import type { EventDeps } from './deps';
import { handleBlobEventMessage } from './receive';
import { handleSettleCheck } from './settleCheck';

export function createEventFunctions(deps: DepsProvider<EventDeps>): FunctionDefinition[] {
  // A blob event or check that failed every delivery costs no data: the scheduled run still lists
  // and diffs the whole source and copies what the event should have (counted as missed by events).
  const poison =
    (queue: string) =>
    async (message: unknown): Promise<void> => {
      const { backup } = await deps();
      logAlert(backup.log, ALERT_EVENTS.poison, {
        queue,
        note: 'a blob event could not be handled; the next scheduled run copies the blob',
        jobId: (message as { jobId?: unknown } | null)?.jobId as string | undefined,
      });
    };
  return [
    {
      name: 'blobEvents',
      trigger: {
        type: 'queue',
        queueName: QUEUES.blobEvents,
        handler: async (message) => handleBlobEventMessage(await deps(), message),
      },
    },
    {
      name: 'blobSettle',
      trigger: {
        type: 'queue',
        queueName: QUEUES.blobSettle,
        handler: async (message) => void (await handleSettleCheck(await deps(), message)),
      },
    },
    {
      name: 'blobEventsPoison',
      trigger: {
        type: 'queue',
        queueName: poisonQueueName(QUEUES.blobEvents),
        handler: poison(QUEUES.blobEvents),
      },
    },
    {
      name: 'blobSettlePoison',
      trigger: {
        type: 'queue',
        queueName: poisonQueueName(QUEUES.blobSettle),
        handler: poison(QUEUES.blobSettle),
      },
    },
  ];
}
