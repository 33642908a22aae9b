// Client authentication at the token endpoint: client_secret in the body or HTTP Basic.
import type { EmulatorRequest } from '../shared/server';
import type { AppRegistration, Directory } from './directory';

export type ClientAuth = { ok: true; app: AppRegistration } | { ok: false; code: number; clientId?: string };

export function authenticateClient(
  req: EmulatorRequest,
  form: URLSearchParams,
  directory: Directory,
  now: number,
): ClientAuth {
  let clientId = form.get('client_id') ?? undefined;
  let secret = form.get('client_secret') ?? undefined;
  const header = req.headers.authorization;
  if (header?.startsWith('Basic ')) {
    // RFC 6749 2.3.1: both parts are form-urlencoded before base64.
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    clientId = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
    secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
  }
  if (!clientId) return { ok: false, code: 900144 };
  const app = directory.app(clientId);
  if (!app) return { ok: false, code: 700016, clientId };
  if (!secret) return { ok: false, code: 7000218, clientId };
  const matching = app.secrets.filter((s) => s.value === secret);
  if (matching.length === 0) return { ok: false, code: 7000215, clientId };
  if (!matching.some((s) => s.expiresAt > now)) return { ok: false, code: 7000222, clientId };
  return { ok: true, app };
}
