// Validation of a restore request (POST api/jobs/{id}/restore and api/connections/{id}/restore).
// Every rule names its field, so the API answers 400 {field, rule}.
import { validationError } from '../errors';
import { OVERWRITE_POLICIES, type OverwritePolicy } from './download/types';

export interface RestoreRequest {
  targetContainer: string;
  prefix?: string;
  /** A snapshot folder name, or 'latest'. */
  snapshot?: string;
  overwrite: OverwritePolicy;
  /** Disaster recovery only: the drive folder to restore from (default: the connection's root folder). */
  folderPath?: string;
  /** Target storage account (https://<account>.blob.core.windows.net); default: the job's source account. */
  blobEndpoint?: string;
}

/** Azure's container name rules: 3-63 characters, lowercase letters, digits and single inner hyphens. */
export function containerNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'must be 3 to 63 characters long';
  if (!/^[a-z0-9-]+$/.test(name)) return 'may contain only lowercase letters, digits and hyphens';
  if (!/^[a-z0-9]/.test(name) || name.endsWith('-')) return 'must start and end with a letter or digit';
  if (name.includes('--')) return 'must not contain two hyphens in a row';
  return undefined;
}

function optionalString(body: Record<string, unknown>, field: string, max: number): string | undefined {
  const value = body[field];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw validationError(field, 'must be a string');
  if (value.length > max) throw validationError(field, `must be at most ${max} characters`);
  return value;
}

export function validateRestoreRequest(
  input: unknown,
  options: { disasterRecovery: boolean },
): RestoreRequest {
  if (!input || typeof input !== 'object' || Array.isArray(input))
    throw validationError('body', 'must be a JSON object');
  const body = input as Record<string, unknown>;
  const targetContainer = body.targetContainer;
  if (typeof targetContainer !== 'string' || targetContainer.length === 0)
    throw validationError('targetContainer', 'is required');
  const problem = containerNameProblem(targetContainer);
  if (problem) throw validationError('targetContainer', problem);
  const overwrite = body.overwrite ?? 'fail-if-exists';
  if (!OVERWRITE_POLICIES.includes(overwrite as OverwritePolicy))
    throw validationError('overwrite', `must be one of ${OVERWRITE_POLICIES.join(', ')}`);
  const snapshot = optionalString(body, 'snapshot', 255);
  if (snapshot && /[/\\]/.test(snapshot))
    throw validationError('snapshot', 'must be a folder name, not a path');
  const blobEndpoint = optionalString(body, 'blobEndpoint', 500);
  if (blobEndpoint) {
    let url: URL | undefined;
    try {
      url = new URL(blobEndpoint);
    } catch {
      url = undefined;
    }
    if (!url || url.protocol !== 'https:') throw validationError('blobEndpoint', 'must be an https URL');
  }
  const folderPath = optionalString(body, 'folderPath', 400);
  if (folderPath !== undefined && !options.disasterRecovery)
    throw validationError('folderPath', 'only for a restore without a job (the job names its folder)');
  return {
    targetContainer,
    prefix: optionalString(body, 'prefix', 1024),
    snapshot,
    overwrite: overwrite as OverwritePolicy,
    folderPath: folderPath?.replace(/^\/+|\/+$/g, ''),
    blobEndpoint,
  };
}
