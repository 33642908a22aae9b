// The restore routes: POST api/jobs/{id}/restore and, for disaster recovery without a job or a
// manifest, POST api/connections/{id}/restore. 202 with the run id; progress is GET api/runs/{id}.
import { parseJsonObject } from '../http/json';
import { jsonResult, type HttpRequestLike, type HttpResult } from '../http/types';
import { checkBlobEndpoint, type BlobEndpointPolicy } from '../sources/endpointPolicy';
import type { Job } from '../store/jobs';
import type { RestoreDeps } from './deps';
import { validateRestoreRequest, type RestoreRequest } from './request';
import { startRestore, type StartedRestore } from './start';
import { assertRestoreTarget, describeTargets } from './targets';

export interface RestoreApiDeps {
  restore: RestoreDeps;
  job(id: string): Promise<Job>;
  /** Which blob endpoints a restore may write to (the worker checks again before any token). */
  blobEndpoints: BlobEndpointPolicy;
}

/**
 * The request with its target endpoint checked and normalized: the one it names, else the job's
 * source endpoint (a job row written before this check existed is not trusted either).
 */
function checkTarget(deps: RestoreApiDeps, request: RestoreRequest, job?: Job): RestoreRequest {
  if (request.blobEndpoint !== undefined)
    return {
      ...request,
      blobEndpoint: checkBlobEndpoint(request.blobEndpoint, deps.blobEndpoints, 'blobEndpoint'),
    };
  const inherited = job?.source.blobEndpoint;
  if (inherited === undefined) return request;
  return { ...request, blobEndpoint: checkBlobEndpoint(inherited, deps.blobEndpoints, 'blobEndpoint') };
}

function accepted(started: StartedRestore): HttpResult {
  return jsonResult(
    202,
    { runId: started.runId, status: 'queued', source: started.source, folder: started.rootPath },
    { location: `/api/runs/${encodeURIComponent(started.runId)}` },
  );
}

export async function restoreJob(
  deps: RestoreApiDeps,
  jobId: string,
  request: HttpRequestLike,
): Promise<HttpResult> {
  const input = validateRestoreRequest(parseJsonObject(request.body), { disasterRecovery: false });
  const job = await deps.job(jobId);
  const checked = checkTarget(deps, input, job);
  assertRestoreTarget(deps.restore.settings.targetContainers, checked.targetContainer, checked.blobEndpoint);
  const drive = await deps.restore.drive(job.connectionId);
  const manifestHasEntries = (await deps.restore.manifest.page(job.id, undefined, 1)).entries.length > 0;
  return accepted(
    await startRestore(deps.restore, {
      request: checked,
      connectionId: job.connectionId,
      rootFolder: drive.rootFolder,
      job,
      manifestHasEntries,
    }),
  );
}

export async function restoreFromConnection(
  deps: RestoreApiDeps,
  connectionId: string,
  request: HttpRequestLike,
): Promise<HttpResult> {
  const input = checkTarget(
    deps,
    validateRestoreRequest(parseJsonObject(request.body), { disasterRecovery: true }),
  );
  assertRestoreTarget(deps.restore.settings.targetContainers, input.targetContainer, input.blobEndpoint);
  const drive = await deps.restore.drive(connectionId);
  return accepted(
    await startRestore(deps.restore, { request: input, connectionId, rootFolder: drive.rootFolder }),
  );
}

/** GET api/restore/targets: where a restore may write, for the restore form and the CLI. */
export function restoreTargets(deps: RestoreApiDeps): HttpResult {
  const targets = deps.restore.settings.targetContainers;
  return jsonResult(200, {
    restricted: targets !== undefined,
    containers: targets ? describeTargets(targets) : [],
  });
}
