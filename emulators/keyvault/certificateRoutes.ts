// The certificates and keys REST surface (Key Vault REST reference: "Create Certificate", "Get
// Certificate Operation", "Get Certificate", "Get Certificate Versions", "Get Certificate Policy",
// "Get Key", "Get Key Versions", "Sign"), shaped for CertificateClient and CryptographyClient. Only
// keys that back certificates exist here; creating or importing standalone keys is not modelled.
import type { EmulatorServer } from '../shared/server';
import type { CertificateStore, CertificateVersion, KeyVersion, ObjectAttributes } from './certificates';
import {
  digestLengthFor,
  publicJwk,
  signDigest,
  SIGNATURE_ALGORITHMS,
  type SignatureAlgorithm,
} from './crypto';
import { badParameter, KeyVaultError } from './errors';
import { paginate } from './paging';
import { parsePolicy } from './policy';
import { guarded, type Operation, type OperationHandler, type RouteContext } from './routes';
import { RECOVERABLE_DAYS, RECOVERY_LEVEL } from './store';
import { checkName, parseJson } from './validate';

type Json = Record<string, unknown>;
const enc = encodeURIComponent;
const ok = (body: unknown) => ({ status: 200, body });

function attributes(a: ObjectAttributes, extra: Json = {}): Json {
  return {
    enabled: a.enabled,
    ...(a.nbf !== undefined ? { nbf: a.nbf } : {}),
    ...(a.exp !== undefined ? { exp: a.exp } : {}),
    created: a.created,
    updated: a.updated,
    recoverableDays: RECOVERABLE_DAYS,
    recoveryLevel: RECOVERY_LEVEL,
    ...extra,
  };
}

function policyJson(origin: string, name: string, policy: CertificateVersion['policy']): Json {
  return { id: `${origin}/certificates/${enc(name)}/policy`, ...structuredClone(policy) };
}

/** CertificateBundle: the DER as `cer` (base64) and the SHA-1 thumbprint as `x5t` (base64url). */
function certificateBundle(origin: string, name: string, v: CertificateVersion): Json {
  return {
    id: `${origin}/certificates/${enc(name)}/${v.version}`,
    kid: `${origin}/keys/${enc(name)}/${v.version}`,
    sid: `${origin}/secrets/${enc(name)}/${v.version}`,
    x5t: v.x5t,
    cer: v.der.toString('base64'),
    attributes: attributes(v.attributes),
    policy: policyJson(origin, name, v.policy),
    ...(v.tags ? { tags: v.tags } : {}),
  };
}

function certificateItem(origin: string, name: string, v: CertificateVersion, versioned: boolean): Json {
  return {
    id: `${origin}/certificates/${enc(name)}${versioned ? `/${v.version}` : ''}`,
    x5t: v.x5t,
    attributes: attributes(v.attributes),
    ...(v.tags ? { tags: v.tags } : {}),
  };
}

/** KeyBundle: the public JWK only; `managed` because the certificate owns the key's lifetime. */
function keyBundle(origin: string, name: string, k: KeyVersion): Json {
  return {
    key: {
      kid: `${origin}/keys/${enc(name)}/${k.version}`,
      kty: 'RSA',
      key_ops: k.keyOps,
      ...publicJwk(k.publicKey),
    },
    attributes: attributes(k.attributes, { exportable: k.exportable }),
    managed: true,
  };
}

export function installCertificateRoutes(
  server: EmulatorServer,
  ctx: RouteContext,
  certs: CertificateStore,
  nowSeconds: () => number,
): void {
  const route = (method: string, pattern: string, operation: Operation, handler: OperationHandler) =>
    server.route(method, pattern, guarded(ctx, operation, handler));

  route('POST', '/certificates/:name/create', 'createCertificate', (req, { origin }) => {
    const name = checkName(req.params.name);
    const body = parseJson(req.body);
    const policy = parsePolicy(body.policy, nowSeconds());
    const requested = body.attributes as { enabled?: unknown } | undefined;
    const tags =
      body.tags && typeof body.tags === 'object' ? (body.tags as Record<string, string>) : undefined;
    const operation = certs.create(name, policy, {
      attributes: { enabled: requested?.enabled !== false },
      tags,
    });
    return {
      status: 202,
      headers: { Location: `${origin}/certificates/${enc(name)}/pending`, 'Retry-After': '1' },
      body: operationJson(origin, name, operation),
    };
  });

  route('GET', '/certificates/:name/pending', 'getCertificateOperation', (req, { origin }) => {
    const { name, operation } = certs.pending(checkName(req.params.name));
    return ok(operationJson(origin, name, operation));
  });

  route('GET', '/certificates/:name/policy', 'getCertificatePolicy', (req, { origin }) => {
    const { name, policy } = certs.policy(checkName(req.params.name));
    return ok(policyJson(origin, name, policy));
  });

  route('GET', '/certificates', 'getCertificates', (req, { origin, apiVersion }) => {
    const items = certs
      .list()
      .sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()))
      .map((c) => certificateItem(origin, c.name, c.latest, false));
    return ok(paginate(items, `${origin}/certificates`, req.query, apiVersion));
  });

  route('GET', '/certificates/:name/versions', 'getCertificateVersions', (req, { origin, apiVersion }) => {
    const { name, versions } = certs.versions(checkName(req.params.name));
    const items = versions.map((v) => certificateItem(origin, name, v, true));
    return ok(paginate(items, `${origin}/certificates/${enc(name)}/versions`, req.query, apiVersion));
  });

  const getCertificate: OperationHandler = (req, { origin }) => {
    const { name, version } = certs.get(checkName(req.params.name), req.params.version ?? '');
    return ok(certificateBundle(origin, name, version));
  };
  route('GET', '/certificates/:name', 'getCertificate', getCertificate);
  route('GET', '/certificates/:name/:version', 'getCertificate', getCertificate);

  route('GET', '/keys/:name/versions', 'getKeyVersions', (req, { origin, apiVersion }) => {
    const { name, keys } = certs.keyVersions(checkName(req.params.name));
    const items = keys.map((k) => ({
      kid: `${origin}/keys/${enc(name)}/${k.version}`,
      attributes: attributes(k.attributes, { exportable: k.exportable }),
      managed: true,
    }));
    return ok(paginate(items, `${origin}/keys/${enc(name)}/versions`, req.query, apiVersion));
  });

  const getKey: OperationHandler = (req, { origin }) => {
    const { name, key } = certs.key(checkName(req.params.name), req.params.version ?? '');
    return ok(keyBundle(origin, name, key));
  };
  route('GET', '/keys/:name', 'getKey', getKey);
  route('GET', '/keys/:name/:version', 'getKey', getKey);

  // A versionless key id makes the SDK post to `/keys/{name}//sign`: the latest version signs.
  const signHandler: OperationHandler = (req, { origin }) => {
    const { name, key } = certs.key(checkName(req.params.name), req.params.version ?? '');
    const body = parseJson(req.body);
    const alg = body.alg;
    if (typeof alg !== 'string' || !(SIGNATURE_ALGORITHMS as readonly string[]).includes(alg)) {
      throw badParameter(
        `Invalid algorithm: ${String(alg)}. RSA keys sign with RS256, RS384, RS512, PS256, PS384 or PS512.`,
      );
    }
    if (typeof body.value !== 'string' || !/^[A-Za-z0-9_-]*={0,2}$/.test(body.value)) {
      throw badParameter('Property value is required and must be base64url.');
    }
    const digest = Buffer.from(body.value, 'base64url');
    const expected = digestLengthFor(alg as SignatureAlgorithm);
    if (digest.length !== expected) {
      throw badParameter(`Invalid digest length ${digest.length} for ${alg}: expected ${expected} bytes.`);
    }
    checkUsable(key, 'sign', nowSeconds());
    const signature = signDigest(alg as SignatureAlgorithm, digest, key.privateKey);
    return ok({ kid: `${origin}/keys/${enc(name)}/${key.version}`, value: signature.toString('base64url') });
  };
  route('POST', '/keys/:name/:version/sign', 'sign', signHandler);
  route('POST', '/keys/:name//sign', 'sign', signHandler);
}

/**
 * "exp: the expiration time on or after which the key MUST NOT be used for cryptographic operations"
 * and nbf likewise ("About keys"); a disabled key refuses everything. The wording of these 403s is
 * not published; the codes follow the secrets' Forbidden + innererror pattern.
 */
function checkUsable(key: KeyVersion, operation: string, now: number): void {
  if (!key.keyOps.includes(operation)) {
    throw new KeyVaultError(
      403,
      'Forbidden',
      `Operation ${operation} is not permitted on this key.`,
      'KeyOperationForbidden',
    );
  }
  if (!key.attributes.enabled) {
    throw new KeyVaultError(
      403,
      'Forbidden',
      `Operation ${operation} is not allowed on a disabled key.`,
      'KeyDisabled',
    );
  }
  if (key.attributes.exp !== undefined && now >= key.attributes.exp) {
    throw new KeyVaultError(
      403,
      'Forbidden',
      `Operation ${operation} is not allowed on an expired key.`,
      'KeyExpired',
    );
  }
  if (key.attributes.nbf !== undefined && now < key.attributes.nbf) {
    throw new KeyVaultError(
      403,
      'Forbidden',
      `Operation ${operation} is not allowed on a key that is not yet valid.`,
      'KeyNotYetValid',
    );
  }
}

function operationJson(
  origin: string,
  name: string,
  op: ReturnType<CertificateStore['pending']>['operation'],
): Json {
  const base: Json = {
    id: `${origin}/certificates/${enc(name)}/pending`,
    issuer: { name: 'Self' },
    cancellation_requested: false,
    status: op.status,
    request_id: op.requestId,
  };
  if (op.status === 'inProgress') {
    base.status_details =
      'Pending certificate created. Certificate request is in progress. This may take some time based on the issuer provider. Please check again later.';
  } else if (op.status === 'completed') {
    base.target = `${origin}/certificates/${enc(name)}`;
  } else {
    base.error = op.error;
  }
  return base;
}
