// Key Vault's own expiry events, delivered by Event Grid: Microsoft.KeyVault.SecretNearExpiry (30
// days before `exp`) and Microsoft.KeyVault.SecretExpired. Several subscriptions may point at this
// function, so an event is acted on only when it is for our vault and our secret; anything else is
// ignored. An event without the fields every Key Vault event has is malformed and rejected.
//
// The data's keys are PascalCase as Key Vault sends them (Id, VaultName, ObjectType, ObjectName,
// Version, NBF, EXP; NBF/EXP in Unix seconds), while Microsoft's documentation samples show
// camelCase with string numbers: both are accepted, keys case-insensitively.
import type { EventGridEvent } from '../app/types';
import { AppError } from '../errors';

export const SECRET_NEAR_EXPIRY = 'Microsoft.KeyVault.SecretNearExpiry';
export const SECRET_EXPIRED = 'Microsoft.KeyVault.SecretExpired';
const HANDLED = new Set([SECRET_NEAR_EXPIRY, SECRET_EXPIRED]);

export interface KeyVaultSecretEvent {
  eventType: typeof SECRET_NEAR_EXPIRY | typeof SECRET_EXPIRED;
  vaultName: string;
  objectName: string;
  version: string;
  expiresOn?: Date;
}

export type EventDecision =
  { action: 'notify'; event: KeyVaultSecretEvent } | { action: 'ignore'; reason: string };

/** The vault name is the first label of the vault's host name (https://<name>.vault.azure.net/). */
export function vaultNameOf(keyVaultUrl: string): string {
  return new URL(keyVaultUrl).hostname.split('.')[0].toLowerCase();
}

function malformed(reason: string): AppError {
  return new AppError('MessageInvalid', `Malformed Key Vault event: ${reason}`, { detail: reason });
}

function lowerKeys(data: Record<string, unknown>): Record<string, unknown> {
  // `objectName ` with a trailing space appears in Microsoft's samples; trim keys too.
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k.trim().toLowerCase(), v]));
}

function unixSeconds(value: unknown, name: string): Date | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : NaN;
  if (!Number.isFinite(n) || n <= 0) throw malformed(`data.${name} is not a Unix time`);
  return new Date(n * 1000);
}

function text(data: Record<string, unknown>, key: string, label: string): string {
  const value = data[key];
  if (typeof value !== 'string' || !value.trim()) throw malformed(`data.${label} is missing`);
  return value.trim();
}

/**
 * Decides what to do with an event: notify (ours), ignore (someone else's, or a type we do not
 * handle), or throw MessageInvalid (malformed).
 */
export function decideKeyVaultEvent(
  event: EventGridEvent,
  ours: { vaultName: string; secretName: string },
): EventDecision {
  if (!event || typeof event !== 'object') throw malformed('not an object');
  if (typeof event.eventType !== 'string' || !event.eventType) throw malformed('eventType is missing');
  if (!HANDLED.has(event.eventType)) return { action: 'ignore', reason: `event type ${event.eventType}` };
  if (!event.data || typeof event.data !== 'object' || Array.isArray(event.data))
    throw malformed('data is missing');
  const data = lowerKeys(event.data as Record<string, unknown>);
  const vaultName = text(data, 'vaultname', 'VaultName');
  const objectName = text(data, 'objectname', 'ObjectName');
  const objectType = data['objecttype'];
  if (objectType !== undefined && typeof objectType !== 'string')
    throw malformed('data.ObjectType is not text');
  const version = typeof data['version'] === 'string' ? (data['version'] as string).trim() : '';
  const expiresOn = unixSeconds(data['exp'], 'EXP');
  if (objectType && objectType.toLowerCase() !== 'secret')
    return { action: 'ignore', reason: `object type ${objectType}` };
  // Vault and secret names are case-insensitive in Key Vault.
  if (vaultName.toLowerCase() !== ours.vaultName.toLowerCase())
    return { action: 'ignore', reason: `another vault (${vaultName})` };
  if (objectName.toLowerCase() !== ours.secretName.toLowerCase())
    return { action: 'ignore', reason: `another secret (${objectName})` };
  return {
    action: 'notify',
    event: {
      eventType: event.eventType as KeyVaultSecretEvent['eventType'],
      vaultName,
      objectName,
      version,
      expiresOn,
    },
  };
}
