// The admin API for jobs and runs: CRUD under api/jobs (400 naming the field and rule), run now,
// a job's runs, and one run with live totals and per-file failures.
import { errorResult } from '../http/errors';
import { parseJsonObject } from '../http/json';
import { randomUUID } from 'node:crypto';
import { isAppError, isPermanent, AppError } from '../errors';
import { jsonResult, type HttpRequestLike, type HttpResult } from '../http/types';
import { checkBlobEndpoint, type BlobEndpointPolicy } from '../sources/endpointPolicy';
import { validateJob, type Job, type JobDefaults } from '../store/jobs';
import { againOnConflict } from '../store/table';
import { isEncrypted, passwordsOf } from '../store/jobEncryption';
import { encryptionKeysResult } from './encryptionKeys';
import { FINAL_RUN_STATUSES } from '../store/runs';
import type { BackupDeps } from './deps';
import { startRun } from './scheduler';

export interface AdminDeps {
  backup: BackupDeps;
  /** True when a connection with this id exists. */
  connectionExists(id: string): Promise<boolean>;
  /** Which blob endpoints a job's source may name (the worker checks again before any token). */
  blobEndpoints: BlobEndpointPolicy;
  /** The names of the default source account's containers (GET source/containers). */
  sourceContainers?(): Promise<string[]>;
}

/** A typed error becomes its HTTP answer here (so tests calling jobsApi see it); anything else goes to invokeHttp. */
async function guard(run: () => Promise<HttpResult>): Promise<HttpResult> {
  try {
    return await run();
  } catch (error) {
    if (isAppError(error)) return errorResult(error);
    throw error;
  }
}

async function checkConnection(deps: AdminDeps, connectionId: string): Promise<void> {
  if (!(await deps.connectionExists(connectionId)))
    throw new AppError('ValidationFailed', 'connectionId: must name an existing connection', {
      field: 'connectionId',
    });
}

/** The job with its blob endpoint normalized, or ValidationFailed naming source.blobEndpoint. */
function checkSource(deps: AdminDeps, job: Job): Job {
  const endpoint = job.source.blobEndpoint;
  if (endpoint === undefined) return job;
  const blobEndpoint = checkBlobEndpoint(endpoint, deps.blobEndpoints, 'source.blobEndpoint');
  return { ...job, source: { ...job.source, blobEndpoint } };
}

/**
 * The job's source must exist and be readable now: a job on a missing container would otherwise be
 * accepted and fail at every run. One listing of one blob answers both questions.
 */
async function checkSourceReadable(deps: AdminDeps, job: Job): Promise<void> {
  try {
    await deps.backup.source(job).listPage(undefined, 1);
  } catch (error) {
    if (!isPermanent(error)) throw error;
    const where = `container "${job.source.container}"${job.source.blobEndpoint ? ` at ${job.source.blobEndpoint}` : ''}`;
    const why =
      error.code === 'NotFound'
        ? `the ${where} does not exist`
        : `the ${where} cannot be read (${error.message})`;
    throw new AppError('ValidationFailed', `source.container: ${why}`, {
      field: 'source.container',
      detail: error.detail,
      advice: error.advice,
    });
  }
}

/** Passwords are chosen once, at creation: a later one would not open the files already written. */
function refusePasswords(body: Record<string, unknown>): Record<string, unknown> {
  const e = body.encryption as Record<string, unknown> | undefined;
  for (const key of ['password', 'password2'])
    if (e && typeof e === 'object' && e[key] !== undefined)
      throw new AppError('ValidationFailed', `encryption.${key}: cannot be changed once the job exists`, {
        field: `encryption.${key}`,
      });
  return body;
}

const sourceChanged = (a: Job, b: Job): boolean =>
  a.source.container !== b.source.container || a.source.blobEndpoint !== b.source.blobEndpoint;

/** What the deployment chooses for a new job: its chunk size, and events when infra delivers them. */
function jobDefaults(deps: AdminDeps): JobDefaults {
  const eventsEnabled = deps.backup.settings.eventsEnabled ?? false;
  return {
    chunkSizeBytes: deps.backup.settings.defaultChunkBytes,
    trigger: eventsEnabled ? 'both' : 'schedule',
    eventsEnabled,
  };
}

export const jobsApi = {
  list: (deps: AdminDeps) => guard(async () => jsonResult(200, { jobs: await deps.backup.jobs.list() })),

  create: (deps: AdminDeps, request: HttpRequestLike) =>
    guard(async () => {
      const body = parseJsonObject(request.body);
      // The passwords go to Key Vault, never into the job: taken out before anything else sees the body.
      const passwords = passwordsOf(body.encryption);
      if (body.encryption && typeof body.encryption === 'object') {
        const { password: _p, password2: _p2, ...rest } = body.encryption as Record<string, unknown>;
        body.encryption = rest;
      }
      const job = checkSource(
        deps,
        validateJob(body, undefined, randomUUID(), new Date(deps.backup.clock.now()), jobDefaults(deps)),
      );
      await checkConnection(deps, job.connectionId);
      await checkSourceReadable(deps, job);
      // A new job waits for its next occurrence instead of running at once.
      job.lastScheduledAt = job.createdAt;
      // Keys first: an encrypted job never exists without the passwords its files need.
      if (isEncrypted(job.encryption)) {
        if (!deps.backup.crypt)
          throw new AppError('ConfigInvalid', 'This app has no Key Vault to keep encryption passwords in.', {
            field: 'encryption',
          });
        await deps.backup.crypt.passwords.create(job.id, passwords);
      }
      await deps.backup.jobs.create(job);
      return jsonResult(201, job);
    }),

  get: (deps: AdminDeps, id: string) =>
    guard(async () => jsonResult(200, await deps.backup.jobs.require(id))),

  update: (deps: AdminDeps, id: string, request: HttpRequestLike) =>
    guard(async () => {
      const patch = refusePasswords(parseJsonObject(request.body));
      // The app itself writes the job row too (a run claims and releases it, the scheduler records
      // its occurrence), so an edit that lost the ETag race is applied again to the row as it is now
      // rather than refused: those writes touch fields no edit carries.
      const job = await againOnConflict(async () => {
        const stored = await deps.backup.jobs.getWithEtag(id);
        if (!stored) throw new AppError('NotFound', `No job with id ${id}.`);
        const edited = checkSource(
          deps,
          validateJob(patch, stored.value, id, new Date(deps.backup.clock.now()), jobDefaults(deps)),
        );
        if (edited.connectionId !== stored.value.connectionId)
          await checkConnection(deps, edited.connectionId);
        if (sourceChanged(edited, stored.value)) await checkSourceReadable(deps, edited);
        await deps.backup.jobs.save(edited, stored.etag);
        return edited;
      });
      return jsonResult(200, job);
    }),

  remove: (deps: AdminDeps, id: string) =>
    guard(async () => {
      const job = await deps.backup.jobs.get(id);
      if (job?.activeRunId)
        throw new AppError('Conflict', 'The job is running; delete it when the run has finished.');
      if (!(await deps.backup.jobs.delete(id))) throw new AppError('NotFound', `No job with id ${id}.`);
      return { status: 204 };
    }),

  runNow: (deps: AdminDeps, id: string) =>
    guard(async () => jsonResult(202, await startRun(deps.backup, id, 'manual'))),

  runs: (deps: AdminDeps, id: string) =>
    guard(async () => {
      await deps.backup.jobs.require(id);
      return jsonResult(200, { runs: await deps.backup.runs.listForJob(id) });
    }),

  run: (deps: AdminDeps, runId: string) =>
    guard(async () => {
      const run = await deps.backup.runs.find(runId);
      if (!run) throw new AppError('NotFound', `No run with id ${runId}.`);
      const live =
        FINAL_RUN_STATUSES.has(run.status) && run.totals
          ? { totals: run.totals }
          : await deps.backup.runs.totals(runId);
      const [failures, rewritten, inFlight] = await Promise.all([
        deps.backup.runs.failures(runId),
        deps.backup.runs.rewrittenFiles(runId),
        FINAL_RUN_STATUSES.has(run.status) ? [] : deps.backup.runs.inFlightFiles(runId),
      ]);
      return jsonResult(200, {
        ...run,
        totals: live.totals,
        // Office documents kept under their own name that SharePoint rewrote (officeFiles: native).
        rewritten: rewritten.map((f) => ({ file: f.blobName, reason: f.reason })),
        failures: failures.map((f) => ({
          file: f.blobName,
          code: f.code,
          reason: f.reason,
          attempts: f.attempts,
        })),
        // The files being copied right now, so a person sees what a long run is busy with.
        inFlight: inFlight.map((f) => ({ file: f.blobName, size: f.size, bytesDone: f.bytesDone })),
      });
    }),

  /** The job's encryption passwords and rclone configuration, on request only (POST, never cached). */
  encryptionKeys: (deps: AdminDeps, id: string) =>
    guard(async () => encryptionKeysResult(deps.backup, await deps.backup.jobs.require(id))),

  sourceContainers: (deps: AdminDeps) =>
    guard(async () => {
      if (!deps.sourceContainers)
        throw new AppError('ConfigInvalid', 'This app has no default source account to list.', {
          advice: 'Type the container name instead.',
        });
      return jsonResult(200, { containers: await deps.sourceContainers() });
    }),
};
