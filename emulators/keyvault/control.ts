// Cross-process control for the local host, soak and browser tests, under /_emulator/keyvault/.
// State is reported without values: names, versions and attributes only, so no secret leaves the
// emulator through its control surface or a log of it.
import { json, type EmulatorServer } from '../shared/server';
import { KeyVaultError, badParameter } from './errors';
import type { Operation } from './routes';
import type { SecretAttributes, SecretStore } from './store';

export interface AttributesRequest extends Partial<SecretAttributes> {
  /** Which version to change; the latest when absent. */
  version?: string;
}

/** The vault's state without values, as served by GET /_emulator/keyvault/state. */
export function describeState(store: SecretStore, callCount: Record<Operation, number>) {
  return {
    secrets: store.all().map((s) => ({
      name: s.name,
      deleted: s.deleted ?? null,
      versions: s.versions.map((v) => ({
        version: v.version,
        contentType: v.contentType ?? null,
        tags: v.tags ?? null,
        attributes: v.attributes,
      })),
    })),
    callCount,
  };
}

function parseAttributesRequest(body: Buffer): AttributesRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8') || '{}');
  } catch {
    throw badParameter('The request body is not valid JSON.');
  }
  if (!parsed || typeof parsed !== 'object') throw badParameter('The request body must be a JSON object.');
  const input = parsed as Record<string, unknown>;
  const out: AttributesRequest = {};
  if (typeof input.version === 'string') out.version = input.version;
  if (typeof input.enabled === 'boolean') out.enabled = input.enabled;
  for (const key of ['nbf', 'exp', 'created', 'updated'] as const) {
    if (typeof input[key] === 'number') out[key] = input[key] as number;
  }
  return out;
}

export function installControlRoutes(
  server: EmulatorServer,
  store: SecretStore,
  callCount: Record<Operation, number>,
): void {
  server.route('GET', '/_emulator/keyvault/state', () => json(200, describeState(store, callCount)));
  server.route('POST', '/_emulator/keyvault/secrets/:name/attributes', (req) => {
    try {
      const { version, ...attributes } = parseAttributesRequest(req.body);
      const name = decodeURIComponent(req.params.name);
      const updated = store.setAttributes(name, attributes, version);
      return json(200, {
        name: store.displayName(name),
        version: updated.version,
        attributes: updated.attributes,
      });
    } catch (error) {
      if (error instanceof KeyVaultError) return error.toResponse();
      throw error;
    }
  });
}
