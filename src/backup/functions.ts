// The backup area's entries in the function table: the scheduler timer, the planner and uploader
// queues, their poison twins, and the jobs/runs admin routes. Thin: parse, call, map. Handlers get
// their dependencies from providers: the app's root builds them once (./wiring.ts).
import { QUEUES, poisonQueueName } from '../app/queues';
import type { DepsProvider, FunctionDefinition } from '../app/types';
import { jobsApi, type AdminDeps } from './admin';
import type { BackupDeps } from './deps';
import { handlePlanMessage } from './planner';
import { handlePlanPoison, handleUploadPoison } from './poison';
import { runScheduler } from './scheduler';
import { handleUploadMessage } from './uploader';

export interface BackupFunctionDeps {
  /** The pipeline's: scheduler, planner, uploader and their poison handlers. */
  backup: DepsProvider<BackupDeps>;
  /** The jobs and runs admin routes'. */
  admin: DepsProvider<AdminDeps>;
}

export function createBackupFunctions({
  backup: backupDeps,
  admin: adminDeps,
}: BackupFunctionDeps): FunctionDefinition[] {
  return [
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
      name: 'jobsEncryptionKeys',
      trigger: {
        type: 'http',
        route: 'jobs/{id}/encryption/keys',
        methods: ['POST'],
        authLevel: 'function',
        handler: async (req) => jobsApi.encryptionKeys(await adminDeps(), req.params.id),
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
      name: 'sourceContainers',
      trigger: {
        type: 'http',
        route: 'source/containers',
        methods: ['GET'],
        authLevel: 'function',
        handler: async () => jobsApi.sourceContainers(await adminDeps()),
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
}
