// The spec a restore message is handled with: the one recorded in the run when the restore was
// started through the API (./start.ts), never the message's. Anyone who can write to the queue
// could otherwise point the managed identity at another blob endpoint or container, or widen the
// folder whose items may be restored (docs/security.md, "Queue messages").
//
// Messages queued before the spec moved into the run carry a copy of it. Such a message is still
// handled when its copy agrees with the record; one field that differs (or a field the record does
// not have) refuses the whole message with MessageInvalid, which ends in the poison queue.
import { isDeepStrictEqual } from 'node:util';
import type { RestoreDeps } from './deps';
import { OVERWRITE_POLICIES, type OverwritePolicy } from './download/types';
import { invalid, type RestoreMessage, type RestoreSpec } from './messages';

/** A run record's spec, checked for shape: a run written by another version must not half-work. */
export function parseRecordedSpec(json: string | undefined): RestoreSpec | undefined {
  if (!json) return undefined;
  let spec: Partial<RestoreSpec>;
  try {
    spec = JSON.parse(json) as Partial<RestoreSpec>;
  } catch {
    return undefined;
  }
  const ok =
    !!spec &&
    typeof spec === 'object' &&
    typeof spec.connectionId === 'string' &&
    typeof spec.rootPath === 'string' &&
    typeof spec.targetContainer === 'string' &&
    OVERWRITE_POLICIES.includes(spec.overwrite as OverwritePolicy);
  return ok ? (spec as RestoreSpec) : undefined;
}

/** The fields of a legacy message spec that disagree with the record (JSON drops undefined ones). */
export function specDifferences(recorded: RestoreSpec, claimed: Partial<RestoreSpec>): string[] {
  const record = recorded as unknown as Record<string, unknown>;
  return Object.entries(claimed)
    .filter(([key, value]) => value !== undefined && !isDeepStrictEqual(value, record[key]))
    .map(([key]) => key);
}

/**
 * The recorded spec for this message's run, or MessageInvalid: no such restore run, or a legacy
 * spec that disagrees with it, or a listing the spec cannot serve.
 */
export async function trustedSpec(deps: RestoreDeps, message: RestoreMessage): Promise<RestoreSpec> {
  const recorded = await deps.runs.restoreSpec(message.runPartition, message.runId);
  if (!recorded) throw invalid(`run ${message.runId} has no restore spec recorded`);
  const differences = message.spec ? specDifferences(recorded, message.spec) : [];
  // Names the fields only: their values may be what an attacker wanted logged somewhere.
  if (differences.length > 0)
    throw invalid(`the message's spec differs from the run's record in ${differences.join(', ')}`);
  if (message.kind === 'list' && message.source.type === 'manifest' && !recorded.manifestJobId)
    throw invalid('manifest listing without a job');
  return recorded;
}
