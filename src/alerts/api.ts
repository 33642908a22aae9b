// The alert area's HTTP handlers (all behind the function key): store the client secret, the status
// summary, run the check now, and manage webhooks. Responses never carry a secret value or a
// webhook URL.
import { AppError, validationError } from '../errors';
import { parseJsonObject } from '../http/json';
import { jsonResult, type HttpRequestLike, type HttpResult } from '../http/types';
import type { Logger } from '../log/logger';
import { runAlertCheck } from './check';
import type { AlertDeps } from './deps';
import { setClientSecret } from './secretSet';
import { alertStatus } from './status';

const noStore = { 'cache-control': 'no-store' };

/** POST /api/secret {value, expiresOn} */
export async function postSecret(
  deps: AlertDeps,
  request: HttpRequestLike,
  log: Logger,
): Promise<HttpResult> {
  const body = parseJsonObject(request.body);
  for (const key of Object.keys(body))
    if (key !== 'value' && key !== 'expiresOn')
      throw validationError(key, 'unknown field (allowed: value, expiresOn)');
  const result = await setClientSecret(deps.secretSet, body);
  log.info('secret.stored', {
    objectName: result.secretName,
    version: result.version,
    expiresOn: result.expiresOn,
    daysLeft: result.daysLeft,
    appRegistration: result.appRegistration.status,
  });
  return jsonResult(200, result, noStore);
}

/** GET /api/status */
export async function getStatus(deps: AlertDeps): Promise<HttpResult> {
  return jsonResult(200, await alertStatus(deps), noStore);
}

/** POST /api/alerts/check: runs the daily check now (the setup page's "check now"). */
export async function postCheck(deps: AlertDeps): Promise<HttpResult> {
  try {
    return jsonResult(200, await runAlertCheck(deps), noStore);
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError('Transient', 'The alert check failed', { cause: error });
  }
}

/** GET /api/alerts/webhooks: names and formats only. */
export async function listWebhooks(deps: AlertDeps): Promise<HttpResult> {
  return jsonResult(200, { webhooks: await deps.webhooks.list() }, noStore);
}

/** POST /api/alerts/webhooks {name, url, format}: the URL goes to Key Vault and is never shown again. */
export async function addWebhook(
  deps: AlertDeps,
  request: HttpRequestLike,
  log: Logger,
): Promise<HttpResult> {
  const body = parseJsonObject(request.body);
  const added = await deps.webhooks.add(body.name, body.url, body.format ?? 'json');
  log.info('alert.webhook.added', { webhook: added.name, format: added.format });
  return jsonResult(201, added, { ...noStore, location: `/api/alerts/webhooks/${added.name}` });
}

/** DELETE /api/alerts/webhooks/{name} */
export async function deleteWebhook(
  deps: AlertDeps,
  request: HttpRequestLike,
  log: Logger,
): Promise<HttpResult> {
  const name = request.params.name ?? '';
  if (!(await deps.webhooks.remove(name)))
    throw new AppError('NotFound', `No webhook named '${name}'`, { field: 'name' });
  log.info('alert.webhook.removed', { webhook: name });
  return { status: 204 };
}
