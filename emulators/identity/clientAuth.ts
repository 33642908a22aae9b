// Client authentication at the token endpoint: client_secret in the body or HTTP Basic, or a
// client_assertion (certificate or federated credential, see clientAssertion.ts).
import type { EmulatorRequest } from '../shared/server';
import { assertionIssuer, JWT_BEARER, verifyClientAssertion, type AssertionContext } from './clientAssertion';
import type { AppRegistration, Directory } from './directory';
import type { ErrorParams } from './errors';

export type ClientAuthMethod = 'secret' | 'certificate' | 'federated';

export type ClientAuth =
  | { ok: true; app: AppRegistration; method: ClientAuthMethod }
  | { ok: false; code: number; clientId?: string; params?: ErrorParams };

export function authenticateClient(
  req: EmulatorRequest,
  form: URLSearchParams,
  directory: Directory,
  now: number,
  assertions: Omit<AssertionContext, 'app' | 'now'>,
): ClientAuth {
  let clientId = form.get('client_id') ?? undefined;
  let secret = form.get('client_secret') ?? undefined;
  const assertion = form.get('client_assertion') ?? undefined;
  const assertionType = form.get('client_assertion_type') ?? undefined;
  const header = req.headers.authorization;
  if (header?.startsWith('Basic ')) {
    // RFC 6749 2.3.1: both parts are form-urlencoded before base64.
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    clientId = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
    secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
  }
  // RFC 7523 3.1: with an assertion, client_id may be left out; the assertion's issuer names the client.
  if (!clientId && assertion) clientId = assertionIssuer(assertion);
  if (!clientId) return { ok: false, code: 900144 };
  const app = directory.app(clientId);
  if (!app) return { ok: false, code: 700016, clientId };
  if (assertion || assertionType) {
    if (assertionType !== JWT_BEARER) {
      return { ok: false, code: 900144, clientId, params: { parameter: 'client_assertion_type' } };
    }
    if (!assertion) return { ok: false, code: 900144, clientId, params: { parameter: 'client_assertion' } };
    const result = verifyClientAssertion(assertion, { ...assertions, app, now });
    if (!result.ok) return { ok: false, code: result.code, clientId, params: result.params };
    return { ok: true, app, method: result.method };
  }
  if (!secret) return { ok: false, code: 7000218, clientId };
  const matching = app.secrets.filter((s) => s.value === secret);
  if (matching.length === 0) return { ok: false, code: 7000215, clientId };
  if (!matching.some((s) => s.expiresAt > now)) return { ok: false, code: 7000222, clientId };
  return { ok: true, app, method: 'secret' };
}
