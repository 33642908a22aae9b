// Key Vault secret names: `^[0-9a-zA-Z-]+$`, at most 127 characters. Per-connection secrets get
// names derived from the connection id so deleting a connection can find every one of them.
import { validationError } from '../errors';

const NAME = /^[0-9a-zA-Z-]{1,127}$/;

export function isValidSecretName(name: unknown): name is string {
  return typeof name === 'string' && NAME.test(name);
}

export function assertSecretName(name: string, field = 'secretName'): string {
  if (!isValidSecretName(name)) throw validationError(field, 'letters, digits and hyphens only (1-127)');
  return name;
}

/** The refresh token of a delegated connection. */
export function refreshTokenSecretName(connectionId: string): string {
  return assertSecretName(`conn-${connectionId}-refresh-token`, 'id');
}

/** The client secret of a connection that brings its own app registration. */
export function clientSecretSecretName(connectionId: string): string {
  return assertSecretName(`conn-${connectionId}-client-secret`, 'id');
}

/** Every secret a connection may own (deleted with it). */
export function connectionSecretNames(connectionId: string): string[] {
  return [refreshTokenSecretName(connectionId), clientSecretSecretName(connectionId)];
}

/** HMAC key the PKCE verifiers are derived from (see src/auth/pkce.ts). */
export const OAUTH_STATE_KEY_SECRET = 'oauth-state-key';

/** AES-256 key the upload sessions of files in flight are encrypted with (see src/secrets/sealing.ts). */
export const UPLOAD_SESSION_KEY_SECRET = 'upload-session-key';
/** A job's rclone crypt `password` and `password2` (the salt), named after the job. */
export function cryptPasswordSecretNames(jobId: string): { password: string; password2: string } {
  return {
    password: assertSecretName(`job-${jobId}-crypt-password`, 'id'),
    password2: assertSecretName(`job-${jobId}-crypt-password2`, 'id'),
  };
}
