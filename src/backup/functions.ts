// The backup area's entries in the function table: the scheduler timer, the planner and uploader
// queues, their poison twins, and the jobs/runs admin routes. Thin: parse, call, map.
import { QUEUES, poisonQueueName } from '../app/queues';
import { memoizeByServices } from '../app/memoizeByServices';
import { getServices } from '../app/services';
import type { FunctionDefinition } from '../app/types';
import { sharedAuthDeps } from '../auth/wiring';
import { jobsApi, type AdminDeps } from './admin';
import type { BackupDeps } from './deps';
import { handlePlanMessage } from './planner';
import { handlePlanPoison, handleUploadPoison } from './poison';
import { runScheduler } from './scheduler';
import { handleUploadMessage } from './uploader';
import { buildBackupDeps } from './wiring';

const backupDepsOf = memoizeByServices(buildBackupDeps);
const adminDepsOf = memoizeByServices(async (services): Promise<AdminDeps> => {
  const [backup, auth] = await Promise.all([backupDepsOf(services), sharedAuthDeps(services)]);
  return { backup, connectionExists: async (id: string) => (await auth.connections.get(id)) !== undefined };
});
const backupDeps = (): Promise<BackupDeps> => backupDepsOf(getServices());
const adminDeps = (): Promise<AdminDeps> => adminDepsOf(getServices());

/** Tests and the local host may install their own dependencies. */
export function setBackupDeps(next: BackupDeps | undefined, nextAdmin?: AdminDeps): void {
  backupDepsOf.override(getServices(), next);
  adminDepsOf.override(getServices(), nextAdmin);
}

export const backupFunctions: FunctionDefinition[] = [
  {
    name: 'scheduler',
    trigger: {
      type: 'timer',
      scheduleSetting: 'SCHEDULER_CRON',
      handler: async () => void (await runScheduler(await backupDeps())),
    },
  },
  {
    name: 'planner',
    trigger: {
      type: 'queue',
      queueName: QUEUES.plan,
      handler: async (message) => handlePlanMessage(await backupDeps(), message),
    },
  },
  {
    name: 'uploader',
    trigger: {
      type: 'queue',
      queueName: QUEUES.upload,
      handler: async (message, meta) => handleUploadMessage(await backupDeps(), message, meta),
    },
  },
  {
    name: 'plannerPoison',
    trigger: {
      type: 'queue',
      queueName: poisonQueueName(QUEUES.plan),
      handler: async (message) => handlePlanPoison(await backupDeps(), message),
    },
  },
  {
    name: 'uploaderPoison',
    trigger: {
      type: 'queue',
      queueName: poisonQueueName(QUEUES.upload),
      handler: async (message) => handleUploadPoison(await backupDeps(), message),
    },
  },
  {
    name: 'jobsList',
    trigger: {
      type: 'http',
      route: 'jobs',
      methods: ['GET'],
      authLevel: 'function',
      handler: async () => jobsApi.list(await adminDeps()),
    },
  },
  {
    name: 'jobsCreate',
    trigger: {
      type: 'http',
      route: 'jobs',
      methods: ['POST'],
      authLevel: 'function',
      handler: async (req) => jobsApi.create(await adminDeps(), req),
    },
  },
  {
    name: 'jobsGet',
    trigger: {
      type: 'http',
      route: 'jobs/{id}',
      methods: ['GET'],
      authLevel: 'function',
      handler: async (req) => jobsApi.get(await adminDeps(), req.params.id),
    },
  },
  {
    name: 'jobsUpdate',
    trigger: {
      type: 'http',
      route: 'jobs/{id}',
      methods: ['PUT', 'PATCH'],
      authLevel: 'function',
      handler: async (req) => jobsApi.update(await adminDeps(), req.params.id, req),
    },
  },
  {
    name: 'jobsDelete',
    trigger: {
      type: 'http',
      route: 'jobs/{id}',
      methods: ['DELETE'],
      authLevel: 'function',
      handler: async (req) => jobsApi.remove(await adminDeps(), req.params.id),
    },
  },
  {
    name: 'jobsRunNow',
    trigger: {
      type: 'http',
      route: 'jobs/{id}/run',
      methods: ['POST'],
      authLevel: 'function',
      handler: async (req) => jobsApi.runNow(await adminDeps(), req.params.id),
    },
  },
  {
    name: 'jobsRuns',
    trigger: {
      type: 'http',
      route: 'jobs/{id}/runs',
      methods: ['GET'],
      authLevel: 'function',
      handler: async (req) => jobsApi.runs(await adminDeps(), req.params.id),
    },
  },
  {
    name: 'runsGet',
    trigger: {
      type: 'http',
      route: 'runs/{id}',
      methods: ['GET'],
      authLevel: 'function',
      handler: async (req) => jobsApi.run(await adminDeps(), req.params.id),
    },
  },
];
