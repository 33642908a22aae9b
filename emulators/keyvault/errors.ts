// Key Vault's error bodies: `{error: {code, message, innererror?: {code}}}`. The SDK turns `error.code`
// into RestError.code and `innererror` into `details.error.innerError`, so both must match the
// service. Messages marked "confirmed" were seen verbatim in service responses quoted in public SDK
// issues; the others are not published and are worded plainly instead of guessed.
import type { EmulatorResponse } from '../shared/server';

export class KeyVaultError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly innerCode?: string,
  ) {
    super(message);
  }

  toResponse(headers: Record<string, string> = {}): EmulatorResponse {
    const error: Record<string, unknown> = { code: this.code, message: this.message };
    if (this.innerCode) error.innererror = { code: this.innerCode };
    return { status: this.status, headers, body: { error } };
  }
}

/** Confirmed (service responses quoted in SDK issues). */
export function secretNotFound(name: string): KeyVaultError {
  return new KeyVaultError(
    404,
    'SecretNotFound',
    `A secret with (name/id) ${name} was not found in this key vault. If you recently deleted this secret ` +
      'you may be able to recover it using the correct recovery command. For help resolving this issue, ' +
      'please see https://go.microsoft.com/fwlink/?linkid=2125182',
  );
}

/** Not published; same code as secretNotFound so clients branch on it alike. */
export function deletedSecretNotFound(name: string): KeyVaultError {
  return new KeyVaultError(404, 'SecretNotFound', `Deleted Secret not found: ${name}`);
}

/** Confirmed: 403 Forbidden with innererror SecretDisabled. */
export function secretDisabled(operation: string): KeyVaultError {
  return new KeyVaultError(
    403,
    'Forbidden',
    `Operation ${operation} is not allowed on a disabled secret.`,
    'SecretDisabled',
  );
}

/** Confirmed: PUT to a name that is soft-deleted and not purged. */
export function deletedButRecoverable(name: string): KeyVaultError {
  return new KeyVaultError(
    409,
    'Conflict',
    `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; ` +
      'in this state, the secret can only be recovered or purged.',
    'ObjectIsDeletedButRecoverable',
  );
}

/** Confirmed: names outside ^[0-9a-zA-Z-]{1,127}$. */
export function invalidName(name: string): KeyVaultError {
  return new KeyVaultError(400, 'BadParameter', `The request URI contains an invalid name: ${name}`);
}

export function badParameter(message: string): KeyVaultError {
  return new KeyVaultError(400, 'BadParameter', message);
}

/** Confirmed for an unknown version; the missing case reuses the code with a plain message. */
export function unsupportedApiVersion(version: string, latest: string): KeyVaultError {
  return badParameter(
    `The specified version (${version}) is not recognized. Consider using the latest supported version (${latest}).`,
  );
}

export function missingApiVersion(): KeyVaultError {
  return badParameter('The api-version query parameter is required.');
}

/** Confirmed: no Authorization header. */
export function missingToken(): KeyVaultError {
  return new KeyVaultError(401, 'Unauthorized', 'AKV10000: Request is missing a Bearer or PoP token.');
}

/** Confirmed: a token issued for another resource. */
export function invalidAudience(found: string): KeyVaultError {
  return new KeyVaultError(
    401,
    'Unauthorized',
    `AKV10022: Invalid audience. Expected https://vault.azure.net, found: ${found}.`,
  );
}

export function invalidToken(): KeyVaultError {
  return new KeyVaultError(401, 'Unauthorized', 'The access token is invalid or expired.');
}
