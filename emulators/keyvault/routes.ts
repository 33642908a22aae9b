// The Key Vault secrets REST surface on an EmulatorServer. Each operation is guarded the way the
// service orders its checks: authentication (with the challenge) first, then api-version, then the
// operation itself, whose KeyVaultErrors become the service's error bodies.
import { randomUUID } from 'node:crypto';
import type { EmulatorRequest, EmulatorResponse, EmulatorServer, Handler } from '../shared/server';
import type { Authorize } from '../shared/principal';
import { authorizeAction, DATA_ACTIONS, type Permissions } from './access';
import { authenticate, challengeHeader } from './auth';
import { KeyVaultError, missingApiVersion, unsupportedApiVersion } from './errors';
import { paginate } from './paging';
import { deletedBundle, deletedItem, secretBundle, secretItem } from './render';
import type { SecretStore } from './store';
import { checkName, parseJson, parseNewSecret, parsePatch } from './validate';

export const OPERATIONS = [
  'setSecret',
  'getSecret',
  'getSecrets',
  'getSecretVersions',
  'updateSecret',
  'deleteSecret',
  'getDeletedSecret',
  'getDeletedSecrets',
  'purgeDeletedSecret',
  'recoverDeletedSecret',
  'createCertificate',
  'getCertificate',
  'getCertificates',
  'getCertificateVersions',
  'getCertificateOperation',
  'getCertificatePolicy',
  'getKey',
  'getKeyVersions',
  'sign',
] as const;
export type Operation = (typeof OPERATIONS)[number];

export const LATEST_API_VERSION = '2025-07-01';
const STABLE_API_VERSIONS = new Set(['2016-10-01', '7.0', '7.1', '7.2', '7.3', '7.4', '7.5', '7.6']);

/**
 * The service answers an unknown version with 400 BadParameter. Accepted: the published 7.x line with
 * its previews, and the date-named versions that replaced it from 2025-07-01 (SDK 4.10+ sends those),
 * so a newer SDK keeps working against the emulator.
 */
export function checkApiVersion(query: URLSearchParams): string {
  // URLSearchParams has already percent-decoded `api%2Dversion` to `api-version`.
  const version = query.get('api-version');
  if (!version) throw missingApiVersion();
  const known =
    STABLE_API_VERSIONS.has(version) ||
    /^7\.\d+-preview(\.\d+)?$/.test(version) ||
    (/^\d{4}-\d{2}-\d{2}(-preview)?$/.test(version) && version >= LATEST_API_VERSION);
  if (!known) throw unsupportedApiVersion(version, LATEST_API_VERSION);
  return version;
}

export interface RouteContext {
  store: SecretStore;
  authorize?: Authorize;
  permissions?: Permissions;
  tenantId: string;
  callCount: Record<Operation, number>;
  /** Runs before every authenticated operation: the vault's own timed work (lifetime actions). */
  beforeOperation?: () => Promise<void>;
}

export type OperationHandler = (
  req: EmulatorRequest,
  ctx: { apiVersion: string; origin: string },
) => EmulatorResponse | Promise<EmulatorResponse>;

/** The data action an operation needs, or none for operations the emulator leaves open. */
export const OPERATION_ACTIONS: Record<Operation, string> = {
  setSecret: DATA_ACTIONS.secretsSet,
  getSecret: DATA_ACTIONS.secretsGet,
  getSecrets: DATA_ACTIONS.secretsReadMetadata,
  getSecretVersions: DATA_ACTIONS.secretsReadMetadata,
  updateSecret: DATA_ACTIONS.secretsUpdate,
  deleteSecret: DATA_ACTIONS.secretsDelete,
  getDeletedSecret: DATA_ACTIONS.secretsReadDeleted,
  getDeletedSecrets: DATA_ACTIONS.secretsReadDeleted,
  purgeDeletedSecret: DATA_ACTIONS.secretsPurge,
  recoverDeletedSecret: DATA_ACTIONS.secretsRecover,
  createCertificate: DATA_ACTIONS.certificatesCreate,
  getCertificate: DATA_ACTIONS.certificatesRead,
  getCertificates: DATA_ACTIONS.certificatesRead,
  getCertificateVersions: DATA_ACTIONS.certificatesRead,
  getCertificateOperation: DATA_ACTIONS.certificatesRead,
  getCertificatePolicy: DATA_ACTIONS.certificatesRead,
  getKey: DATA_ACTIONS.keysRead,
  getKeyVersions: DATA_ACTIONS.keysRead,
  sign: DATA_ACTIONS.keysSign,
};

export function guarded(ctx: RouteContext, operation: Operation, handler: OperationHandler): Handler {
  return async (req) => {
    const headers = { 'x-ms-request-id': randomUUID(), 'Cache-Control': 'no-cache' };
    const auth = authenticate(req.headers.authorization, ctx.authorize);
    if (auth.denied)
      return auth.denied.toResponse({ ...headers, 'WWW-Authenticate': challengeHeader(ctx.tenantId) });
    try {
      const apiVersion = checkApiVersion(req.query);
      ctx.callCount[operation] += 1;
      const refused = authorizeAction(
        auth.principal,
        ctx.permissions,
        OPERATION_ACTIONS[operation],
        req.path,
      );
      if (refused) throw refused;
      await ctx.beforeOperation?.();
      const response = await handler(req, {
        apiVersion,
        origin: `https://${req.headers.host ?? 'localhost'}`,
      });
      return { ...response, headers: { ...headers, ...(response.headers ?? {}) } };
    } catch (error) {
      if (error instanceof KeyVaultError) return error.toResponse(headers);
      throw error;
    }
  };
}

const ok = (body: unknown): EmulatorResponse => ({ status: 200, body });

export function installSecretRoutes(server: EmulatorServer, ctx: RouteContext): void {
  const { store } = ctx;
  const route = (method: string, pattern: string, operation: Operation, handler: OperationHandler) =>
    server.route(method, pattern, guarded(ctx, operation, handler));

  route('PUT', '/secrets/:name', 'setSecret', (req, { origin }) => {
    const name = checkName(req.params.name);
    const saved = store.set(name, parseNewSecret(parseJson(req.body)));
    return ok(secretBundle(origin, store.displayName(name), saved, true));
  });

  route('GET', '/secrets', 'getSecrets', (req, { origin, apiVersion }) => {
    const items = store
      .list()
      .sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()))
      .map((s) => secretItem(origin, s.name, s.latest, false));
    return ok(paginate(items, `${origin}/secrets`, req.query, apiVersion));
  });

  // Registered before /secrets/:name/:version, which would otherwise take `versions` as a version id.
  route('GET', '/secrets/:name/versions', 'getSecretVersions', (req, { origin, apiVersion }) => {
    const name = checkName(req.params.name);
    const canonical = store.displayName(name);
    // Sorted by version id rather than newest first: the service's order as observed by the authors
    // of Lowkey Vault (another Key Vault emulator); Microsoft does not document an order.
    const items = store
      .versions(name)
      .sort((a, b) => a.version.localeCompare(b.version))
      .map((v) => secretItem(origin, canonical, v, true));
    return ok(
      paginate(items, `${origin}/secrets/${encodeURIComponent(canonical)}/versions`, req.query, apiVersion),
    );
  });

  // `/secrets/{name}/` (trailing slash, empty version) is how the SDK asks for the latest version.
  const getSecret: OperationHandler = (req, { origin }) => {
    const name = checkName(req.params.name);
    const found = store.get(name, req.params.version ?? '');
    return ok(secretBundle(origin, store.displayName(name), found, true));
  };
  route('GET', '/secrets/:name', 'getSecret', getSecret);
  route('GET', '/secrets/:name/:version', 'getSecret', getSecret);

  // updateSecretProperties with an empty version patches `/secrets/{name}/`: the latest version.
  const updateSecret: OperationHandler = (req, { origin }) => {
    const name = checkName(req.params.name);
    const updated = store.update(name, req.params.version ?? '', parsePatch(parseJson(req.body)));
    return ok(secretBundle(origin, store.displayName(name), updated, false));
  };
  route('PATCH', '/secrets/:name', 'updateSecret', updateSecret);
  route('PATCH', '/secrets/:name/:version', 'updateSecret', updateSecret);

  route('DELETE', '/secrets/:name', 'deleteSecret', (req, { origin }) => {
    const deleted = store.delete(checkName(req.params.name));
    return ok(deletedBundle(origin, deleted.name, deleted.latest, deleted.deletion));
  });

  route('GET', '/deletedsecrets', 'getDeletedSecrets', (req, { origin, apiVersion }) => {
    const items = store
      .listDeleted()
      .sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()))
      .map((d) => deletedItem(origin, d.name, d.latest, d.deletion));
    return ok(paginate(items, `${origin}/deletedsecrets`, req.query, apiVersion));
  });

  route('GET', '/deletedsecrets/:name', 'getDeletedSecret', (req, { origin }) => {
    const deleted = store.getDeleted(checkName(req.params.name));
    return ok(deletedBundle(origin, deleted.name, deleted.latest, deleted.deletion));
  });

  route('DELETE', '/deletedsecrets/:name', 'purgeDeletedSecret', (req) => {
    store.purge(checkName(req.params.name));
    return { status: 204 };
  });

  route('POST', '/deletedsecrets/:name/recover', 'recoverDeletedSecret', (req, { origin }) => {
    const recovered = store.recover(checkName(req.params.name));
    return ok(secretBundle(origin, recovered.name, recovered.latest, false));
  });
}
