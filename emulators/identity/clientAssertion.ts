// Client authentication with `client_assertion` (client_assertion_type
// urn:ietf:params:oauth:client-assertion-type:jwt-bearer), usable wherever a client secret is ("Using a
// client assertion" in "Microsoft identity platform application authentication certificate
// credentials", https://learn.microsoft.com/entra/identity-platform/certificate-credentials). Two kinds:
//
// - A certificate credential: a JWT the app signed (alg RS256 or PS256, typ JWT) naming a certificate
//   registered on the app by `x5t#S256` (or the legacy SHA-1 `x5t`), with claims aud (the token
//   endpoint), iss = sub = the client id, jti, nbf, exp and iat. Checked: the key is registered and
//   inside its start/end dates, the signature against the registered public key, audience, issuer,
//   time range, and that the jti was not used before.
// - A federated credential: a managed identity's token for api://AzureADTokenExchange, trusted when a
//   federatedIdentityCredential on the app names its issuer, subject and audience exactly ("Configure
//   an application to trust a managed identity"). Only tokens this emulator issued (its managed
//   identity endpoint) are recognised: the emulator has no other issuer's keys.
import { createHash, createPublicKey, constants, verify, X509Certificate } from 'node:crypto';
import { LOGIN_HOST } from './constants';
import type { AppRegistration, KeyCredential } from './directory';
import type { ErrorParams } from './errors';
import type { Claims } from './jwt';

export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export type AssertionResult =
  | { ok: true; method: 'certificate'; keyId: string }
  | { ok: true; method: 'federated'; credentialName: string }
  | { ok: false; code: number; params: ErrorParams };

/** Remembers used jti values until their assertion expires, per client. */
export class ReplayCache {
  private readonly seen = new Map<string, number>();

  /** False when the jti was already used by this client. */
  use(clientId: string, jti: string, expiresAtMs: number, nowMs: number): boolean {
    for (const [key, exp] of this.seen) if (exp <= nowMs) this.seen.delete(key);
    const key = `${clientId}\u0000${jti}`;
    if (this.seen.has(key)) return false;
    this.seen.set(key, expiresAtMs);
    return true;
  }
}

export interface AssertionContext {
  app: AppRegistration;
  /** The tenant segment the token request was sent to. */
  tenant: string;
  /** The emulator's own token endpoint for that tenant, an accepted `aud`. */
  tokenEndpoint: string;
  now: number;
  replay: ReplayCache;
  /** Verifies a token this emulator issued (managed identity tokens), returning its claims. */
  verifyOwnToken: (token: string) => Claims | undefined;
}

/** .NET round-trip format with 7 fractional digits, as in Entra's texts. */
const dotnetTime = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
/** The key dates as Entra prints them in AADSTS700027 (US format, UTC). */
const keyDate = (ms: number) => new Date(ms).toLocaleString('en-US', { timeZone: 'UTC', hour12: false });

interface ParsedJwt {
  header: Record<string, unknown>;
  claims: Claims;
  signingInput: string;
  signature: Buffer;
}

function parseJwt(token: string): ParsedJwt | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as unknown;
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as unknown;
    if (!header || typeof header !== 'object' || !claims || typeof claims !== 'object') return undefined;
    return {
      header: header as Record<string, unknown>,
      claims: claims as Claims,
      signingInput: `${parts[0]}.${parts[1]}`,
      signature: Buffer.from(parts[2], 'base64url'),
    };
  } catch {
    return undefined;
  }
}

/** The client id an assertion names (its `iss`), for requests that carry no client_id. */
export function assertionIssuer(token: string): string | undefined {
  const iss = parseJwt(token)?.claims.iss;
  return typeof iss === 'string' ? iss : undefined;
}

export function verifyClientAssertion(assertion: string, ctx: AssertionContext): AssertionResult {
  const fail = (code: number, params: ErrorParams = {}): AssertionResult => ({
    ok: false,
    code,
    params: { appId: ctx.app.clientId, ...params },
  });
  const jwt = parseJwt(assertion);
  if (!jwt) return fail(50027, { reason: 'The client assertion is not a compact JWS.' });
  // Tokens of the emulator's own issuer (HS256, kid "emulator") are managed identity tokens.
  if (jwt.header.alg === 'HS256') return verifyFederated(assertion, ctx, fail);
  return verifyCertificate(jwt, ctx, fail);
}

function verifyCertificate(
  jwt: ParsedJwt,
  ctx: AssertionContext,
  fail: (code: number, params?: ErrorParams) => AssertionResult,
): AssertionResult {
  const { header, claims } = jwt;
  if (header.alg !== 'RS256' && header.alg !== 'PS256') {
    return fail(50027, {
      reason: `Unsupported signing algorithm '${String(header.alg)}'; use PS256 or RS256.`,
    });
  }
  if (header.typ !== undefined && String(header.typ).toUpperCase() !== 'JWT') {
    return fail(50027, { reason: `Unsupported token type '${String(header.typ)}'.` });
  }
  const s256 = typeof header['x5t#S256'] === 'string' ? (header['x5t#S256'] as string) : undefined;
  const sha1 = typeof header.x5t === 'string' ? header.x5t : undefined;
  if (!s256 && !sha1) return fail(50027, { reason: 'No certificate thumbprint specified in token header.' });
  const thumbprint = Buffer.from((s256 ?? sha1)!, 'base64url')
    .toString('hex')
    .toUpperCase();
  const matches = (k: KeyCredential) =>
    s256
      ? createHash('sha256').update(k.der).digest('base64url') === s256
      : createHash('sha1').update(k.der).digest('base64url') === sha1;
  const key = (ctx.app.keyCredentials ?? []).find(matches);
  if (!key) return fail(700027, { keyProblem: 'notFound', thumbprint });
  const dates = { thumbprint, keyStart: keyDate(key.startDateTime), keyEnd: keyDate(key.endDateTime) };
  if (ctx.now >= key.endDateTime) return fail(700027, { keyProblem: 'expired', ...dates });
  if (ctx.now < key.startDateTime) return fail(700027, { keyProblem: 'notYetValid', ...dates });
  const publicKey = createPublicKey(
    new X509Certificate(key.der).publicKey.export({ type: 'spki', format: 'pem' }),
  );
  const signatureOk =
    header.alg === 'RS256'
      ? verify('sha256', Buffer.from(jwt.signingInput), publicKey, jwt.signature)
      : verify(
          'sha256',
          Buffer.from(jwt.signingInput),
          {
            key: publicKey,
            padding: constants.RSA_PKCS1_PSS_PADDING,
            saltLength: constants.RSA_PSS_SALTLEN_AUTO,
          },
          jwt.signature,
        );
  if (!signatureOk) return fail(700027, { keyProblem: 'badSignature', ...dates });

  if (!acceptedAudiences(ctx).includes(String(claims.aud))) return fail(700023);
  if (claims.iss !== ctx.app.clientId || claims.sub !== ctx.app.clientId) return fail(700021);
  const timing = checkTimes(claims, ctx.now);
  if (timing) return fail(700024, timing);
  if (typeof claims.jti !== 'string' || !claims.jti) {
    return fail(50027, { reason: 'The client assertion has no jti claim.' });
  }
  if (!ctx.replay.use(ctx.app.clientId, claims.jti, (claims.exp as number) * 1000, ctx.now)) {
    return fail(50027, { reason: `The client assertion with jti '${claims.jti}' was already used.` });
  }
  return { ok: true, method: 'certificate', keyId: key.keyId };
}

function verifyFederated(
  assertion: string,
  ctx: AssertionContext,
  fail: (code: number, params?: ErrorParams) => AssertionResult,
): AssertionResult {
  const claims = ctx.verifyOwnToken(assertion);
  if (!claims) return fail(50027, { reason: 'The client assertion signature could not be verified.' });
  const issuer = String(claims.iss ?? '');
  const subject = String(claims.sub ?? '');
  const audience = String(claims.aud ?? '');
  const credentials = ctx.app.federatedIdentityCredentials ?? [];
  // Matching is exact and case-sensitive, each property in turn, as the three AADSTS codes tell apart.
  const byIssuer = credentials.filter((f) => f.issuer === issuer);
  if (byIssuer.length === 0) return fail(700211, { issuer });
  const byAudience = byIssuer.filter((f) => f.audiences.includes(audience));
  if (byAudience.length === 0) return fail(700212, { audience });
  const match = byAudience.find((f) => f.subject === subject);
  if (!match) return fail(700213, { subject });
  const timing = checkTimes(claims, ctx.now);
  if (timing) return fail(700024, timing);
  return { ok: true, method: 'federated', credentialName: match.name };
}

function acceptedAudiences(ctx: AssertionContext): string[] {
  return [ctx.tokenEndpoint, `${LOGIN_HOST}/${ctx.tenant}/oauth2/v2.0/token`];
}

/**
 * Clock skew allowed on nbf and exp. Entra does not publish its value; 5 minutes is the default of
 * Microsoft's token validation libraries (Microsoft.IdentityModel TokenValidationParameters), and some
 * skew is needed: MSAL rounds `nbf` to the nearest second, so its assertions can start in the future.
 */
export const CLOCK_SKEW_MS = 5 * 60 * 1000;

/** Undefined when now is within [nbf, exp) give or take the skew, else the AADSTS700024 parameters. */
function checkTimes(claims: Claims, now: number): ErrorParams | undefined {
  const exp = typeof claims.exp === 'number' ? claims.exp * 1000 : undefined;
  const nbf = typeof claims.nbf === 'number' ? claims.nbf * 1000 : 0;
  if (exp !== undefined && now < exp + CLOCK_SKEW_MS && now >= nbf - CLOCK_SKEW_MS) return undefined;
  return {
    currentTime: dotnetTime(now),
    assertionValidFrom: dotnetTime(nbf),
    assertionExpiry: exp === undefined ? 'none' : dotnetTime(exp),
  };
}
