// Whether `npm start` brings its own backends: embedded mode runs when none of the settings that
// name real resources is given, so a fresh clone starts with no configuration at all.

/** Settings whose presence means "talk to these real resources". */
export const REAL_SETTINGS = [
  'AzureWebJobsStorage',
  'AzureWebJobsStorage__accountName',
  'AzureWebJobsStorage__blobServiceUri',
  'KEY_VAULT_URL',
  'GRAPH_CLIENT_ID',
];

export function wantsEmbedded(env: Readonly<Record<string, string | undefined>>): boolean {
  return REAL_SETTINGS.every((name) => !env[name]?.trim());
}
