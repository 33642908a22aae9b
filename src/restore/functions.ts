// The restore area's entries in the function table: the `restorer` queue worker, its poison twin,
// and the two routes that start a restore. Thin: parse, call, map.
import { QUEUES, poisonQueueName } from '../app/queues';
import { memoizeByServices } from '../app/memoizeByServices';
import { getServices } from '../app/services';
import type { FunctionDefinition } from '../app/types';
import { errorResult } from '../http/errors';
import { restoreFromConnection, restoreJob, restoreTargets, type RestoreApiDeps } from './api';
import { handleRestoreMessage, handleRestorePoison } from './worker';
import { buildRestoreApiDeps } from './wiring';

const restoreDepsOf = memoizeByServices(buildRestoreApiDeps);
const restoreDeps = (): Promise<RestoreApiDeps> => restoreDepsOf(getServices());

/** Tests and the local host may install their own dependencies. */
export function setRestoreDeps(next: RestoreApiDeps | undefined): void {
  restoreDepsOf.override(getServices(), next);
}

export const restoreFunctions: FunctionDefinition[] = [
  {
    name: 'restorer',
    trigger: {
      type: 'queue',
      queueName: QUEUES.restore,
      handler: async (message) => handleRestoreMessage((await restoreDeps()).restore, message),
    },
  },
  {
    name: 'restorerPoison',
    trigger: {
      type: 'queue',
      queueName: poisonQueueName(QUEUES.restore),
      handler: async (message) => handleRestorePoison((await restoreDeps()).restore, message),
    },
  },
  {
    name: 'restoreJob',
    trigger: {
      type: 'http',
      route: 'jobs/{id}/restore',
      methods: ['POST'],
      authLevel: 'function',
      handler: async (request, context) => {
        try {
          return await restoreJob(await restoreDeps(), request.params.id, request);
        } catch (error) {
          return errorResult(error, context.log);
        }
      },
    },
  },
  {
    name: 'restoreFromConnection',
    trigger: {
      type: 'http',
      route: 'connections/{id}/restore',
      methods: ['POST'],
      authLevel: 'function',
      handler: async (request, context) => {
        try {
          return await restoreFromConnection(await restoreDeps(), request.params.id, request);
        } catch (error) {
          return errorResult(error, context.log);
        }
      },
    },
  },
  {
    name: 'restoreTargets',
    trigger: {
      type: 'http',
      route: 'restore/targets',
      methods: ['GET'],
      authLevel: 'function',
      handler: async () => restoreTargets(await restoreDeps()),
    },
  },
];
