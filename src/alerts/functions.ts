// The alert area's entries for the function table: the daily check (timer), Key Vault's expiry
// events (Event Grid), and the admin routes. Handlers get their dependencies from a provider: the
// app's root builds them once (./wiring.ts), tests pass their own.
import type { DepsProvider, EventGridEvent, FunctionDefinition, InvocationContext } from '../app/types';
import { isAppError } from '../errors';
import { addWebhook, deleteWebhook, getStatus, listWebhooks, postCheck, postSecret } from './api';
import { checkClientSecret, runAlertCheck } from './check';
import { getClientCertificate } from './credentialApi';
import type { AlertDeps } from './deps';
import { decideKeyVaultEvent } from './eventGrid';

/** Handles one Key Vault event: ours notifies through the check's path and dedupe; others are ignored. */
export async function handleKeyVaultEvent(
  deps: AlertDeps,
  event: EventGridEvent,
  context: Pick<InvocationContext, 'log'>,
): Promise<void> {
  let decision;
  try {
    decision = decideKeyVaultEvent(event, { vaultName: deps.vaultName, secretName: deps.secretName });
  } catch (error) {
    if (isAppError(error, 'MessageInvalid'))
      context.log.warn('secret.event.rejected', {
        eventId: event?.id,
        eventType: event?.eventType,
        reason: error.detail ?? error.message,
      });
    throw error;
  }
  if (decision.action === 'ignore') {
    context.log.debug('secret.event.ignored', {
      eventId: event.id,
      eventType: event.eventType,
      reason: decision.reason,
    });
    return;
  }
  const { version, expiresOn, eventType } = decision.event;
  context.log.info('secret.event.received', {
    eventId: event.id,
    eventType,
    version,
    expiresOn: expiresOn?.toISOString(),
  });
  await checkClientSecret(deps, { source: 'event', fallback: { version, expiresOn, enabled: true } });
}

export function createAlertFunctions(provider: DepsProvider<AlertDeps>): FunctionDefinition[] {
  return [
    {
      name: 'secretExpiryCheck',
      trigger: {
        type: 'timer',
        scheduleSetting: 'SECRET_CHECK_CRON',
        handler: async () => {
          await runAlertCheck(await provider());
        },
      },
    },
    {
      name: 'secretNearExpiry',
      trigger: {
        type: 'eventGrid',
        handler: async (event, context) => handleKeyVaultEvent(await provider(), event, context),
      },
    },
    {
      name: 'clientSecretSet',
      trigger: {
        type: 'http',
        route: 'secret',
        methods: ['POST'],
        authLevel: 'function',
        handler: async (request, context) => postSecret(await provider(), request, context.log),
      },
    },
    {
      name: 'status',
      trigger: {
        type: 'http',
        route: 'status',
        methods: ['GET'],
        authLevel: 'function',
        handler: async () => getStatus(await provider()),
      },
    },
    {
      name: 'clientCertificate',
      trigger: {
        type: 'http',
        route: 'credential/certificate',
        methods: ['GET'],
        authLevel: 'function',
        handler: async (request) => getClientCertificate(await provider(), request),
      },
    },
    {
      name: 'alertCheckNow',
      trigger: {
        type: 'http',
        route: 'alerts/check',
        methods: ['POST'],
        authLevel: 'function',
        handler: async () => postCheck(await provider()),
      },
    },
    {
      name: 'alertWebhooks',
      trigger: {
        type: 'http',
        route: 'alerts/webhooks',
        methods: ['GET', 'POST'],
        authLevel: 'function',
        handler: async (request, context) =>
          request.method.toUpperCase() === 'POST'
            ? addWebhook(await provider(), request, context.log)
            : listWebhooks(await provider()),
      },
    },
    {
      name: 'alertWebhookDelete',
      trigger: {
        type: 'http',
        route: 'alerts/webhooks/{name}',
        methods: ['DELETE'],
        authLevel: 'function',
        handler: async (request, context) => deleteWebhook(await provider(), request, context.log),
      },
    },
  ];
}
