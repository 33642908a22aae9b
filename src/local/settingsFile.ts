// Reads local.settings.json's Values the way Functions Core Tools does, so the same file configures
// `npm start` and `func start`. Real environment variables win over the file.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export function localSettingsPath(): string {
  return path.resolve(__dirname, '..', '..', 'local.settings.json');
}

export function readLocalSettings(file: string = localSettingsPath()): Record<string, string> {
  if (!existsSync(file)) return {};
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { Values?: Record<string, unknown> };
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed.Values ?? {}))
    if (value !== null && value !== undefined) values[name] = String(value);
  return values;
}
