// Cross-process control for the local host, soak and browser tests, under /_emulator/keyvault/.
// State is reported without values: names, versions and attributes only, so no secret leaves the
// emulator through its control surface or a log of it.
import { json, type EmulatorServer } from '../shared/server';
import { KeyVaultError, badParameter } from './errors';
import type { KeyVaultEmulator } from './index';
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

function certificateState(emulator: KeyVaultEmulator, name: string) {
  const cert = emulator.certificate(name);
  if (!cert) return undefined;
  return {
    name: cert.name,
    versions: cert.versions.map((v) => ({
      version: v.version,
      x5t: v.x5t,
      cer: v.der.toString('base64'),
      attributes: v.attributes,
    })),
  };
}

export function installControlRoutes(
  server: EmulatorServer,
  emulator: KeyVaultEmulator,
  store: SecretStore,
  callCount: Record<Operation, number>,
): void {
  server.route('GET', '/_emulator/keyvault/state', () => json(200, describeState(store, callCount)));
  // Lifetime control for rotation tests: renew now (new version, new key), optionally with the new
  // X.509's validity in Unix seconds, and set a version's nbf/exp/enabled. Public halves only.
  server.route('POST', '/_emulator/keyvault/certificates/:name/renew', async (req) => {
    const body = parseAttributesRequest(req.body) as { nbf?: number; exp?: number };
    const name = decodeURIComponent(req.params.name);
    if (!emulator.certificate(name))
      return json(404, { error: { code: 'CertificateNotFound', message: name } });
    await emulator.renewCertificate(name, { notBefore: body.nbf, notAfter: body.exp });
    return json(200, certificateState(emulator, name));
  });
  server.route('POST', '/_emulator/keyvault/certificates/:name/attributes', (req) => {
    try {
      const { version, enabled, nbf, exp } = parseAttributesRequest(req.body);
      const name = decodeURIComponent(req.params.name);
      emulator.setCertificateAttributes(name, { enabled, nbf, exp }, version);
      return json(200, certificateState(emulator, name));
    } catch (error) {
      if (error instanceof KeyVaultError) return error.toResponse();
      throw error;
    }
  });
  server.route('GET', '/_emulator/keyvault/certificates/:name', (req) => {
    const state = certificateState(emulator, decodeURIComponent(req.params.name));
    return state
      ? json(200, state)
      : json(404, { error: { code: 'CertificateNotFound', message: req.params.name } });
  });
  server.route('POST', '/_emulator/keyvault/advance-clock', (req) => {
    const ms = Number((JSON.parse(req.body.toString('utf8') || '{}') as { ms?: unknown }).ms);
    if (!Number.isFinite(ms) || ms < 0) return json(400, { error: { code: 'BadParameter', message: 'ms' } });
    emulator.advanceClock(ms);
    return json(200, { now: emulator.now() });
  });
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
