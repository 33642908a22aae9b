// Access to the run's Azurite from a test, and names no other test uses.
import { randomBytes } from 'node:crypto';

export function azuriteConnectionString(): string {
  const value = process.env.TEST_AZURITE_CONNECTION_STRING;
  if (!value)
    throw new Error('Azurite is not running: tests must run through jest with test/helpers/globalSetup.ts');
  return value;
}

/** A name valid for a container, queue (lowercase letters, digits) or table (letters, digits). */
export function uniqueName(prefix: string): string {
  return `${prefix}${randomBytes(5).toString('hex')}`.toLowerCase();
}
