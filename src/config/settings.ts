// Every setting the product reads, in one table: its name, type, default (or that it is required),
// where it comes from in Azure, and what it means. The loader (./load.ts), local.settings.example.json,
// the configuration reference in docs/ and the Bicep template are all checked against this table.

import { CHUNK_UNIT_BYTES, DEFAULT_CHUNK_BYTES, MAX_CHUNK_BYTES_EXCLUSIVE } from './chunkSize';
import { CLOUD_NAMES } from './clouds';
import { CREDENTIAL_SETTINGS } from './credentialSettings';

export type SettingType = 'string' | 'url' | 'integer' | 'boolean' | 'ncrontab' | 'enum' | 'integer-list';

/**
 * Where the value comes from when deployed:
 * - `template`: infra/ sets it (the infra tests check every one is set);
 * - `platform`: Azure Functions or the user sets it outside the template (keys, secrets' stores);
 * - `local`: only for development against the emulators; unset in Azure.
 */
export type SettingSource = 'template' | 'platform' | 'local';

export interface SettingSpec {
  name: string;
  type: SettingType;
  /** Allowed values for `enum`. */
  values?: readonly string[];
  /** Bounds for `integer` and each item of `integer-list`. */
  min?: number;
  max?: number;
  /** Used when unset; `undefined` with `required: true` means the setting must be given. */
  default?: string;
  /** Required when running against real Azure (the local host fills these with emulator values). */
  required: boolean;
  source: SettingSource;
  description: string;
}

export const SETTINGS: readonly SettingSpec[] = [
  {
    name: 'RUN_MODE',
    type: 'enum',
    values: ['azure', 'local'],
    required: false,
    source: 'local',
    description:
      'azure: every required setting must be given and URLs must be https. local: required settings that have a local default may be omitted. When unset: local if an emulator override or development storage is configured, else azure.',
  },
  {
    name: 'AzureWebJobsStorage',
    type: 'string',
    required: false,
    source: 'local',
    description:
      'Storage connection string for queues and tables (local development and Azurite); in Azure use the identity-based AzureWebJobsStorage__accountName instead.',
  },
  {
    name: 'AzureWebJobsStorage__accountName',
    type: 'string',
    required: false,
    source: 'platform',
    description:
      "Storage account for the host and the product state (queues, tables), reached with managed identity; the endpoints use the GRAPH_CLOUD cloud's storage suffix. Global Azure only for the Functions host: the template sets the three service URIs instead, which work in every cloud.",
  },
  {
    name: 'AzureWebJobsStorage__blobServiceUri',
    type: 'url',
    required: false,
    source: 'template',
    description:
      'Blob endpoint of the host and state storage account (https://<account>.blob.<cloud storage suffix>), for identity-based AzureWebJobsStorage in any cloud.',
  },
  {
    name: 'AzureWebJobsStorage__queueServiceUri',
    type: 'url',
    required: false,
    source: 'template',
    description: 'Queue endpoint of the host and state storage account (queue triggers need it).',
  },
  {
    name: 'AzureWebJobsStorage__tableServiceUri',
    type: 'url',
    required: false,
    source: 'template',
    description: 'Table endpoint of the host and state storage account (the product state tables).',
  },
  {
    name: 'AzureWebJobsStorage__credential',
    type: 'enum',
    values: ['managedidentity'],
    required: false,
    source: 'template',
    description: 'Tells the Functions host to use managed identity for AzureWebJobsStorage.',
  },
  {
    name: 'AzureWebJobsStorage__clientId',
    type: 'string',
    required: false,
    source: 'template',
    description:
      'Client id of the user-assigned managed identity used for storage (omit for system-assigned).',
  },
  {
    name: 'MANAGED_IDENTITY_CLIENT_ID',
    type: 'string',
    required: false,
    source: 'template',
    description:
      'Client id of the user-assigned managed identity the code uses for Key Vault and source storage.',
  },
  {
    name: 'KEY_VAULT_URL',
    type: 'url',
    required: true,
    source: 'template',
    description:
      "Key Vault that holds the client secret (or certificate), refresh tokens, webhook URLs, encrypted jobs' passwords and the app's own keys (https://<name>.vault.azure.net/).",
  },
  {
    name: 'GRAPH_CLIENT_ID',
    type: 'string',
    required: true,
    source: 'template',
    description: 'Application (client) id of the Entra app registration used to sign in to OneDrive.',
  },
  {
    name: 'GRAPH_TENANT',
    type: 'string',
    default: 'common',
    required: false,
    source: 'template',
    description: 'Default tenant for new connections: common, consumers, organizations or a tenant id.',
  },
  {
    name: 'GRAPH_CLOUD',
    type: 'enum',
    values: CLOUD_NAMES,
    default: 'global',
    required: false,
    source: 'template',
    description: 'Default national cloud for new connections.',
  },
  {
    name: 'CLIENT_SECRET_NAME',
    type: 'string',
    default: 'graph-client-secret',
    required: false,
    source: 'template',
    description:
      'Name of the Key Vault secret that holds the app registration client secret (its exp is the expiry).',
  },
  {
    name: 'PUBLIC_BASE_URL',
    type: 'url',
    default: 'http://localhost:7071',
    required: true,
    source: 'template',
    description: 'Public base URL of the function app; the OAuth redirect URI is <base>/api/auth/callback.',
  },
  {
    name: 'AUTH_REDIRECT_URI',
    type: 'url',
    required: false,
    source: 'platform',
    description: 'Overrides the OAuth redirect URI (default <PUBLIC_BASE_URL>/api/auth/callback).',
  },
  {
    name: 'SCHEDULER_CRON',
    type: 'ncrontab',
    default: '0 0 * * * *',
    required: false,
    source: 'template',
    description:
      'How often the scheduler looks for due jobs (6-field NCRONTAB, UTC). Hourly by default: each firing wakes the app, which is most of what an idle deployment costs (docs/cost.md); a job falls due at most this late, and Run now starts one at once. Use "0 */5 * * * *" for jobs scheduled between the hours.',
  },
  {
    name: 'SECRET_CHECK_CRON',
    type: 'ncrontab',
    default: '0 0 8 * * *',
    required: false,
    source: 'template',
    description:
      'When the daily client-secret expiry check and the refresh of connections idle for 30 days run (6-field NCRONTAB, UTC).',
  },
  {
    name: 'SECRET_EXPIRY_THRESHOLDS_DAYS',
    type: 'integer-list',
    default: '30,14,7,3,1',
    min: 0,
    max: 365,
    required: false,
    source: 'template',
    description: 'Days before the client secret expires at which to warn, each once per secret version.',
  },
  {
    name: 'UPLOAD_CHUNK_BYTES',
    type: 'integer',
    default: String(DEFAULT_CHUNK_BYTES),
    min: CHUNK_UNIT_BYTES,
    max: MAX_CHUNK_BYTES_EXCLUSIVE - 1,
    required: false,
    source: 'template',
    description:
      'Upload-session chunk size of a job created without one (a job keeps its own): a multiple of 320 KiB (327,680 bytes), under 60 MiB.',
  },
  {
    name: 'EVENTS_ENABLED',
    type: 'boolean',
    default: 'false',
    required: false,
    source: 'template',
    description:
      "The source account's blob events reach the app (the template's Event Grid subscription into the blob-events queue; locally, the change detector). New mirror jobs then default to trigger both; when false they default to schedule, and a job asking for events is refused.",
  },
  {
    name: 'RUN_HISTORY_DAYS',
    type: 'integer',
    default: '90',
    min: 0,
    max: 3650,
    required: false,
    source: 'platform',
    description:
      "How long finished runs are kept, with their per-file rows, page rows, a restore's index and listing rows and any saved upload session; 0 keeps every run; runs not yet ended are never deleted. Each job's newest 20 runs and its newest run that backed files up are kept at any age.",
  },
  {
    name: 'RUN_HISTORY_CRON',
    type: 'ncrontab',
    default: '0 30 3 * * *',
    required: false,
    source: 'platform',
    description:
      'When the daily clean-up of old runs (RUN_HISTORY_DAYS) runs (6-field NCRONTAB, UTC). A clean-up that runs out of time goes on at the next firing.',
  },
  {
    name: 'EVENTS_SETTLE_SECONDS',
    type: 'integer',
    default: '5',
    min: 1,
    max: 3600,
    required: false,
    source: 'template',
    description:
      'How long a blob must stay unchanged after its last event before it is uploaded: a burst of writes to one blob uploads it once, after the last.',
  },
  {
    name: 'SIMPLE_UPLOAD_MAX_BYTES',
    type: 'integer',
    default: String(4 * 1024 * 1024),
    min: 0,
    max: 4 * 1024 * 1024,
    required: false,
    source: 'template',
    description:
      'Files up to this size go in one simple PUT, up to 100 of them per upload task; larger ones through an upload session, one task each.',
  },
  {
    name: 'INVOCATION_BUDGET_SECONDS',
    type: 'integer',
    default: '480',
    min: 5,
    max: 3600,
    required: false,
    source: 'template',
    description: 'Time one queue invocation may work on a file before it queues a continuation and finishes.',
  },
  {
    name: 'PLANNER_PAGE_SIZE',
    type: 'integer',
    default: '5000',
    min: 1,
    max: 5000,
    required: false,
    source: 'template',
    description: 'Blobs listed per planner message.',
  },
  {
    name: 'RUN_TIMEOUT_MINUTES',
    type: 'integer',
    default: '720',
    min: 5,
    max: 10080,
    required: false,
    source: 'template',
    description: 'A run with no progress for this long is marked timed out, so its job can run again.',
  },
  {
    name: 'RESTORE_TARGET_CONTAINERS',
    type: 'string',
    required: false,
    source: 'template',
    description:
      'Containers a restore may write to, comma separated, each `container` or `account/container`; the template grants the identity Storage Blob Data Contributor on exactly these. A restore into any other container is refused. Unset: no restriction (local development).',
  },
  {
    name: 'SOURCE_STORAGE_ACCOUNTS',
    type: 'string',
    required: false,
    source: 'template',
    description:
      "Comma-separated storage account names a job's source.blobEndpoint or a restore's blobEndpoint may name in Azure (https://<account>.blob.<suffix of GRAPH_CLOUD's cloud>); the managed identity's token goes to no other account. Unset in Azure: every blob endpoint is refused.",
  },
  {
    name: 'USER_AGENT_PUBLISHER',
    type: 'string',
    default: 'azure-onedrive-backup',
    required: false,
    source: 'platform',
    description:
      'Company part of the User-Agent every Graph request carries (ISV|<publisher>|azure-onedrive-backup/<version>, as Microsoft asks of ISVs to avoid throttling): printable ASCII without "|", at most 64 characters.',
  },
  {
    name: 'SOURCE_CONNECTION_STRING',
    type: 'string',
    required: false,
    source: 'local',
    description:
      'Connection string for source blob storage (Azurite locally); in Azure sources use managed identity.',
  },
  {
    name: 'LOGIN_ENDPOINT_OVERRIDE',
    type: 'url',
    required: false,
    source: 'local',
    description: "Sends every cloud's sign-in traffic to this base URL instead (the identity emulator).",
  },
  {
    name: 'GRAPH_ENDPOINT_OVERRIDE',
    type: 'url',
    required: false,
    source: 'local',
    description: "Sends every cloud's Microsoft Graph traffic to this base URL instead (the Graph emulator).",
  },
  {
    name: 'KEY_VAULT_TOKEN_OVERRIDE',
    type: 'string',
    required: false,
    source: 'local',
    description: 'Static bearer token for the Key Vault emulator, instead of managed identity.',
  },
  {
    name: 'LOCAL_FUNCTION_KEY',
    type: 'string',
    required: false,
    source: 'local',
    description: 'Function key the local host requires on admin routes (generated and printed when unset).',
  },
  {
    name: 'LOCAL_HOST_PORT',
    type: 'integer',
    default: '7071',
    min: 0,
    max: 65535,
    required: false,
    source: 'local',
    description: 'Port of the local host (npm start); 0 picks a free port, which the start banner names.',
  },
  {
    name: 'LOCAL_HOST_ADDRESS',
    type: 'string',
    default: '127.0.0.1',
    required: false,
    source: 'local',
    description:
      'IP address the local host listens on. The default keeps it private to this machine; another address (0.0.0.0 for every interface) opens it to the network on purpose, over plain http, with the function key as the only guard.',
  },
  // How the app authenticates to the identity platform (./credentialSettings.ts).
  ...CREDENTIAL_SETTINGS,
];
