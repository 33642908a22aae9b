// Storing the app registration's client secret: the value goes to Key Vault under CLIENT_SECRET_NAME
// with the expiry as the secret's `exp`, which is what the expiry check and Key Vault's own
// SecretNearExpiry event read. The expiry is required: a secret without one can expire unannounced.
import { AppError, validationError } from '../errors';
import { registerSecret } from '../log/logger';
import type { SecretStore } from '../secrets/secretStore';
import {
  compareWithAppRegistration,
  type AppRegistrationCheck,
  type AppRegistrationReader,
} from './appRegistration';
import { daysLeft } from './expiry';

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
// A time zone is required: without one JavaScript reads local time, which differs between the
// person's machine and the function app.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const EXPIRY_HINT =
  "the client secret's expiry as the Azure portal shows it (App registrations > your app > Certificates & secrets > Expires), as YYYY-MM-DD or an ISO 8601 date-time with a time zone";

/**
 * Parses the expiry. A bare date means the start of that day in UTC: the portal shows the date in
 * the viewer's time zone, and reading it as the earliest moment it can mean warns early, never late.
 */
export function parseExpiry(input: unknown, now: Date): Date {
  if (input === undefined || input === null || (typeof input === 'string' && !input.trim()))
    throw validationError('expiresOn', `required: ${EXPIRY_HINT}`);
  if (typeof input !== 'string') throw validationError('expiresOn', `expected ${EXPIRY_HINT}`);
  const text = input.trim();
  let date: Date;
  const day = DATE_ONLY.exec(text);
  if (day) {
    const [y, m, d] = [Number(day[1]), Number(day[2]), Number(day[3])];
    date = new Date(Date.UTC(y, m - 1, d));
    // Date.UTC rolls 2027-02-30 over to March: a real calendar date maps back to itself.
    if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d)
      throw validationError('expiresOn', `"${text}" is not a calendar date`);
  } else if (DATE_TIME.test(text)) {
    date = new Date(text);
    if (Number.isNaN(date.getTime()))
      throw validationError('expiresOn', `"${text}" is not a valid date-time`);
  } else {
    throw validationError('expiresOn', `expected ${EXPIRY_HINT}, got "${text.slice(0, 40)}"`);
  }
  if (date.getTime() <= now.getTime())
    throw new AppError('ValidationFailed', `expiresOn: ${date.toISOString()} is in the past`, {
      field: 'expiresOn',
      advice:
        'An expired client secret cannot sign in. Create a new client secret in the Azure portal (App registrations > your app > Certificates & secrets > New client secret) and store its Value with its expiry.',
    });
  return date;
}

/** Checks the value's shape without ever echoing it. */
export function checkSecretValue(input: unknown): string {
  if (typeof input !== 'string' || !input.trim())
    throw validationError('value', 'required: the Value of the client secret');
  // Pasted values often carry a newline; client secret values never contain whitespace.
  const value = input.trim();
  if (GUID.test(value))
    throw new AppError('ValidationFailed', 'value: this looks like the Secret ID, not the secret Value', {
      field: 'value',
      advice:
        'In Certificates & secrets copy the Value column (shown only right after creation), not the Secret ID. If the Value is no longer shown, create a new client secret.',
    });
  if (value.length < 16 || value.length > 1024 || /\s/.test(value))
    throw validationError('value', 'expected the client secret Value: 16 to 1024 characters, no spaces');
  // Registered only once it has the shape of a client secret: a rejected body must not steer the masker.
  registerSecret(value);
  return value;
}

export interface SecretSetDeps {
  secretName: string;
  secrets: Pick<SecretStore, 'setSecret'>;
  /** The app registration's client id and a reader, when this identity may read the app. */
  appRegistration?: { appId: string; reader: AppRegistrationReader };
  now: () => Date;
}

export interface SecretSetResult {
  secretName: string;
  version: string;
  expiresOn: string;
  daysLeft: number;
  appRegistration: AppRegistrationCheck;
}

export async function setClientSecret(
  deps: SecretSetDeps,
  body: { value?: unknown; expiresOn?: unknown },
): Promise<SecretSetResult> {
  const now = deps.now();
  const value = checkSecretValue(body.value);
  const expiresOn = parseExpiry(body.expiresOn, now);
  const version = await deps.secrets.setSecret(deps.secretName, value, {
    expiresOn,
    contentType: 'client-secret',
  });
  const appRegistration = deps.appRegistration
    ? compareWithAppRegistration(
        value,
        expiresOn,
        await deps.appRegistration.reader.passwordCredentials(deps.appRegistration.appId),
      )
    : compareWithAppRegistration(value, expiresOn, undefined);
  return {
    secretName: deps.secretName,
    version,
    expiresOn: expiresOn.toISOString(),
    daysLeft: daysLeft(expiresOn, now),
    appRegistration,
  };
}
