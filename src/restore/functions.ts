// The restore area's entries in the function table: the `restorer` queue worker, its poison twin,
// and the two routes that start a restore. Thin: parse, call, map. Handlers get their dependencies
// from a provider: the app's root builds them once (./wiring.ts).
import { QUEUES, poisonQueueName } from '../app/queues';
import type { DepsProvider, FunctionDefinition } from '../app/types';
import { restoreFromConnection, restoreJob, restoreTargets, type RestoreApiDeps } from './api';
import { handleRestoreMessage, handleRestorePoison } from './worker';

export function createRestoreFunctions(restoreDeps: DepsProvider<RestoreApiDeps>): FunctionDefinition[] {
  return [
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
        handler: async (request) => restoreJob(await restoreDeps(), request.params.id, request),
      },
    },
    {
      name: 'restoreFromConnection',
      trigger: {
        type: 'http',
        route: 'connections/{id}/restore',
        methods: ['POST'],
        authLevel: 'function',
        handler: async (request) => restoreFromConnection(await restoreDeps(), request.params.id, request),
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
}
