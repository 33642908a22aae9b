// Turning catalogue errors into the three shapes Entra uses: a JSON body (token endpoint), an HTML
// page (authorize errors that cannot be sent back), and a redirect to the app (the rest).
import { randomUUID } from 'node:crypto';
import type { EmulatorRequest, EmulatorResponse } from '../shared/server';
import { LOGIN_HOST } from './constants';
import { aadError, catalogueEntry, stsTimestamp, type ErrorParams } from './errors';
import { errorPage, formPostPage } from './pages';

/** Entra echoes the client's request id as the correlation id. */
export function correlationIdOf(req: EmulatorRequest): string | undefined {
  const header = req.headers['client-request-id'];
  return (Array.isArray(header) ? header[0] : header) ?? req.query.get('client-request-id') ?? undefined;
}

export function jsonError(
  code: number,
  params: ErrorParams,
  req: EmulatorRequest,
  now: number,
): EmulatorResponse {
  const { status, body } = aadError(code, params, { now, correlationId: correlationIdOf(req) });
  return { status, body, headers: { 'Cache-Control': 'no-store, no-cache' } };
}

export function pageError(
  code: number,
  params: ErrorParams,
  req: EmulatorRequest,
  now: number,
): EmulatorResponse {
  return {
    status: 400,
    body: errorPage({
      code,
      message: catalogueEntry(code).message(params),
      traceId: randomUUID(),
      correlationId: correlationIdOf(req) ?? randomUUID(),
      timestamp: stsTimestamp(now),
    }),
  };
}

export interface RedirectTarget {
  redirectUri: string;
  state?: string | null;
  responseMode?: string | null;
}

export function redirectWith(target: RedirectTarget, fields: Record<string, string>): EmulatorResponse {
  const all: Record<string, string> = { ...fields };
  if (target.state) all.state = target.state;
  if (target.responseMode === 'form_post') {
    return { status: 200, body: formPostPage(target.redirectUri, all) };
  }
  const url = new URL(target.redirectUri);
  for (const [k, v] of Object.entries(all)) url.searchParams.set(k, v);
  return { status: 302, headers: { Location: url.toString() }, body: '' };
}

export function redirectError(
  target: RedirectTarget,
  code: number,
  params: ErrorParams,
  req: EmulatorRequest,
  now: number,
  errorOverride?: string,
): EmulatorResponse {
  const entry = catalogueEntry(code);
  const { body } = aadError(code, params, { now, correlationId: correlationIdOf(req) });
  return redirectWith(target, {
    error: errorOverride ?? entry.authorizeError ?? entry.error,
    error_description: body.error_description,
    error_uri: `${LOGIN_HOST}/error?code=${code}`,
  });
}
