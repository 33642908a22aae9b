// Reads every setting of the table once, validates it, applies defaults and returns one frozen,
// typed Config. Every problem is collected first and reported together, so a person fixes the
// settings in one pass rather than one restart per mistake.
import { isValidPublisher } from '../graph/userAgent';
import { AppError } from '../errors';
import type { CloudName } from './clouds';
import { credentialConfig, type ClientCredentialKind } from './credentialSettings';
import { parseSetting, expectation, type SettingValue } from './parse';
import { SETTINGS, type SettingSpec } from './settings';
import { accountOfServiceUri, storageServiceUrls, type StorageServiceUrls } from './storageEndpoints';

export type Env = Readonly<Record<string, string | undefined>>;
export type RunMode = 'azure' | 'local';
export type Backend = 'real' | 'emulated';
export type GraphCloud = CloudName;

/** How the code reaches the storage account that holds queues and tables. */
export type StorageConfig =
  | {
      kind: 'connectionString';
      connectionString: string;
      /** Azurite (or UseDevelopmentStorage=true): plain http, so SDK clients must allow it. */
      emulated: boolean;
    }
  | {
      kind: 'identity';
      accountName: string;
      /** User-assigned managed identity; undefined means system-assigned (or a developer's az login). */
      clientId?: string;
      blobUrl: string;
      queueUrl: string;
      tableUrl: string;
    };

export interface Config {
  mode: RunMode;
  storage: StorageConfig;
  backends: { storage: Backend; identity: Backend; graph: Backend; keyVault: Backend };
  managedIdentityClientId?: string;
  keyVaultUrl: string;
  graphClientId: string;
  graphTenant: string;
  graphCloud: GraphCloud;
  clientSecretName: string;
  publicBaseUrl: string;
  /** AUTH_REDIRECT_URI, or <PUBLIC_BASE_URL>/api/auth/callback. */
  redirectUri: string;
  schedulerCron: string;
  secretCheckCron: string;
  secretExpiryThresholdsDays: readonly number[];
  uploadChunkBytes: number;
  simpleUploadMaxBytes: number;
  invocationBudgetSeconds: number;
  plannerPageSize: number;
  runTimeoutMinutes: number;
  eventsEnabled: boolean;
  eventsSettleSeconds: number;
  /** Days finished runs are kept (0: forever). */
  runHistoryDays: number;
  runHistoryCron: string;
  /** RESTORE_TARGET_CONTAINERS as given (src/restore/targets.ts parses it); undefined: unrestricted. */
  restoreTargetContainers?: string;
  userAgentPublisher: string;
  sourceConnectionString?: string;
  /** SOURCE_STORAGE_ACCOUNTS: the storage accounts blob endpoints may name (lowercase, deduplicated). */
  sourceStorageAccounts: readonly string[];
  loginEndpointOverride?: string;
  graphEndpointOverride?: string;
  keyVaultTokenOverride?: string;
  localFunctionKey?: string;
  localHostPort: number;
  /** Where the local host listens (loopback unless opened on purpose). */
  localHostAddress: string;
  /** CLIENT_CREDENTIAL and its companions (./credentialSettings.ts). */
  clientCredential: ClientCredentialKind;
  clientCertificateName: string;
  managedIdentityEndpointOverride?: string;
  managedIdentityEndpointHeader?: string;
  /** Every setting's validated value (default applied) by its name, including any not given a typed field above. */
  settings: Readonly<Record<string, SettingValue | undefined>>;
}

export interface ConfigProblem {
  setting: string;
  problem: string;
}

/** AppError('ConfigInvalid') that also lists each problem, for tools and tests. */
export class ConfigError extends AppError {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(
      'ConfigInvalid',
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p.setting}: ${p.problem}`).join('\n'),
      {
        field: problems.map((p) => p.setting).join(', '),
        advice:
          'Set these as app settings in Azure, or in the environment / local.settings.json locally. ' +
          'local.settings.example.json lists every setting; docs describe each.',
      },
    );
  }
}

const EMULATOR_OVERRIDES = ['LOGIN_ENDPOINT_OVERRIDE', 'GRAPH_ENDPOINT_OVERRIDE', 'KEY_VAULT_TOKEN_OVERRIDE'];
const STORAGE_ACCOUNT_NAME = /^[a-z0-9]{3,24}$/;

/** Azure app settings can exist with an empty value; treat that (and whitespace) as unset. */
function raw(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

export function isDevelopmentStorage(connectionString: string): boolean {
  return (
    /UseDevelopmentStorage=true/i.test(connectionString) ||
    /AccountName=devstoreaccount1/i.test(connectionString)
  );
}

/**
 * The mode rule: RUN_MODE when given; otherwise local when anything points at an emulator (an
 * override setting or development storage), else azure. Azure is the strict default so that a
 * deployed app missing a setting fails loudly instead of silently using a localhost default.
 */
export function runMode(env: Env): RunMode {
  const explicit = raw(env, 'RUN_MODE');
  if (explicit === 'local' || explicit === 'azure') return explicit;
  if (EMULATOR_OVERRIDES.some((name) => raw(env, name))) return 'local';
  const storage = raw(env, 'AzureWebJobsStorage');
  return storage && isDevelopmentStorage(storage) ? 'local' : 'azure';
}

function quote(spec: SettingSpec, value: string): string {
  // Only values of structured types are echoed: a free string may be a connection string or token.
  if (spec.type === 'string') return '';
  const shown = value.length > 80 ? `${value.slice(0, 77)}...` : value;
  return `, got "${shown}"`;
}

export function loadConfig(env: Env = process.env): Config {
  const mode = runMode(env);
  const httpsOnly = mode === 'azure';
  const problems: ConfigProblem[] = [];
  const values: Record<string, SettingValue | undefined> = {};

  for (const spec of SETTINGS) {
    const given = raw(env, spec.name);
    if (given === undefined) {
      // In Azure a required setting must be given even when it has a default: the defaults of
      // required settings are local ones (e.g. PUBLIC_BASE_URL http://localhost:7071).
      if (spec.required && (mode === 'azure' || spec.default === undefined)) {
        problems.push({
          setting: spec.name,
          problem: `is required: expected ${expectation(spec, httpsOnly)}`,
        });
        continue;
      }
      values[spec.name] = spec.default === undefined ? undefined : parseDefault(spec);
      continue;
    }
    const parsed = parseSetting(given, spec, httpsOnly && spec.type === 'url');
    if (parsed.ok) values[spec.name] = parsed.value;
    else problems.push({ setting: spec.name, problem: `expected ${parsed.expected}${quote(spec, given)}` });
  }

  // '|' separates the User-Agent's parts; anything outside printable ASCII is not a header value.
  const publisher = values['USER_AGENT_PUBLISHER'];
  if (typeof publisher === 'string' && !isValidPublisher(publisher))
    problems.push({
      setting: 'USER_AGENT_PUBLISHER',
      problem: 'expected printable ASCII without "|", at most 64 characters, no leading or trailing space',
    });

  const storage = storageConfig(values, problems);
  const sourceStorageAccounts = accountList(
    values['SOURCE_STORAGE_ACCOUNTS'] as string | undefined,
    problems,
  );
  if (problems.length > 0) throw new ConfigError(problems);
  return build(mode, storage!, sourceStorageAccounts, values);
}

function accountList(text: string | undefined, problems: ConfigProblem[]): readonly string[] {
  const names = (text ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  const bad = names.filter((name) => !STORAGE_ACCOUNT_NAME.test(name));
  if (bad.length > 0)
    problems.push({
      setting: 'SOURCE_STORAGE_ACCOUNTS',
      problem: `expected comma-separated storage account names (3-24 lowercase letters and digits each), got "${bad[0].slice(0, 40)}"`,
    });
  return Object.freeze([...new Set(names)]);
}

function parseDefault(spec: SettingSpec): SettingValue {
  const parsed = parseSetting(spec.default!, spec);
  // A bad default is a bug in settings.ts, not a user mistake.
  if (!parsed.ok) throw new Error(`settings.ts: default of ${spec.name} is not ${parsed.expected}`);
  return parsed.value;
}

function storageConfig(
  values: Record<string, SettingValue | undefined>,
  problems: ConfigProblem[],
): StorageConfig | undefined {
  const connectionString = values['AzureWebJobsStorage'] as string | undefined;
  const accountName = values['AzureWebJobsStorage__accountName'] as string | undefined;
  if (connectionString) {
    return { kind: 'connectionString', connectionString, emulated: isDevelopmentStorage(connectionString) };
  }
  const uris = identityServiceUris(values, problems);
  if (uris === null) return undefined;
  if (!accountName && !uris) {
    problems.push({
      setting: 'AzureWebJobsStorage',
      problem:
        'is required: expected a storage connection string in AzureWebJobsStorage, or (managed identity) the service URIs AzureWebJobsStorage__blobServiceUri, __queueServiceUri and __tableServiceUri, or a storage account name in AzureWebJobsStorage__accountName',
    });
    return undefined;
  }
  if (accountName && !STORAGE_ACCOUNT_NAME.test(accountName)) {
    problems.push({
      setting: 'AzureWebJobsStorage__accountName',
      problem: `expected a storage account name (3-24 lowercase letters and digits), got "${accountName}"`,
    });
    return undefined;
  }
  const cloud = (values['GRAPH_CLOUD'] as GraphCloud | undefined) ?? 'global';
  const urls = uris ?? storageServiceUrls(accountName!, cloud);
  return {
    kind: 'identity',
    accountName: accountName ?? accountOfServiceUri(urls.blobUrl),
    clientId:
      (values['AzureWebJobsStorage__clientId'] as string | undefined) ??
      (values['MANAGED_IDENTITY_CLIENT_ID'] as string | undefined),
    ...urls,
  };
}

const SERVICE_URI_SETTINGS = {
  blobUrl: 'AzureWebJobsStorage__blobServiceUri',
  queueUrl: 'AzureWebJobsStorage__queueServiceUri',
  tableUrl: 'AzureWebJobsStorage__tableServiceUri',
} as const;

/**
 * The identity-based service-URI form (what the Functions host needs outside global Azure): all
 * three, or none (undefined); null, with a problem recorded, when only some are given.
 */
function identityServiceUris(
  values: Record<string, SettingValue | undefined>,
  problems: ConfigProblem[],
): StorageServiceUrls | undefined | null {
  const entries = Object.entries(SERVICE_URI_SETTINGS).map(
    ([key, name]) => [key, (values[name] as string | undefined)?.replace(/\/+$/, '')] as const,
  );
  const missing = entries
    .filter(([, v]) => !v)
    .map(([key]) => SERVICE_URI_SETTINGS[key as keyof StorageServiceUrls]);
  if (missing.length === entries.length) return undefined;
  if (missing.length > 0) {
    for (const name of missing)
      problems.push({
        setting: name,
        problem: 'is required with the other AzureWebJobsStorage service URIs',
      });
    return null;
  }
  return Object.fromEntries(entries) as unknown as StorageServiceUrls;
}

function build(
  mode: RunMode,
  storage: StorageConfig,
  sourceStorageAccounts: readonly string[],
  values: Record<string, SettingValue | undefined>,
): Config {
  const str = (name: string) => values[name] as string;
  const optional = (name: string) => values[name] as string | undefined;
  const int = (name: string) => values[name] as number;
  const publicBaseUrl = str('PUBLIC_BASE_URL').replace(/\/+$/, '');
  const emulatedWhen = (on: boolean): Backend => (on ? 'emulated' : 'real');
  return Object.freeze({
    mode,
    storage: Object.freeze(storage),
    backends: Object.freeze({
      storage: emulatedWhen(storage.kind === 'connectionString' && storage.emulated),
      identity: emulatedWhen(Boolean(optional('LOGIN_ENDPOINT_OVERRIDE'))),
      graph: emulatedWhen(Boolean(optional('GRAPH_ENDPOINT_OVERRIDE'))),
      keyVault: emulatedWhen(Boolean(optional('KEY_VAULT_TOKEN_OVERRIDE'))),
    }),
    managedIdentityClientId: optional('MANAGED_IDENTITY_CLIENT_ID'),
    keyVaultUrl: str('KEY_VAULT_URL'),
    graphClientId: str('GRAPH_CLIENT_ID'),
    graphTenant: str('GRAPH_TENANT'),
    graphCloud: str('GRAPH_CLOUD') as GraphCloud,
    clientSecretName: str('CLIENT_SECRET_NAME'),
    publicBaseUrl,
    redirectUri: optional('AUTH_REDIRECT_URI') ?? `${publicBaseUrl}/api/auth/callback`,
    schedulerCron: str('SCHEDULER_CRON'),
    secretCheckCron: str('SECRET_CHECK_CRON'),
    secretExpiryThresholdsDays: values['SECRET_EXPIRY_THRESHOLDS_DAYS'] as readonly number[],
    uploadChunkBytes: int('UPLOAD_CHUNK_BYTES'),
    simpleUploadMaxBytes: int('SIMPLE_UPLOAD_MAX_BYTES'),
    invocationBudgetSeconds: int('INVOCATION_BUDGET_SECONDS'),
    plannerPageSize: int('PLANNER_PAGE_SIZE'),
    runTimeoutMinutes: int('RUN_TIMEOUT_MINUTES'),
    eventsEnabled: values['EVENTS_ENABLED'] as boolean,
    eventsSettleSeconds: int('EVENTS_SETTLE_SECONDS'),
    runHistoryDays: int('RUN_HISTORY_DAYS'),
    runHistoryCron: str('RUN_HISTORY_CRON'),
    restoreTargetContainers: optional('RESTORE_TARGET_CONTAINERS'),
    userAgentPublisher: str('USER_AGENT_PUBLISHER'),
    sourceConnectionString: optional('SOURCE_CONNECTION_STRING'),
    sourceStorageAccounts,
    loginEndpointOverride: optional('LOGIN_ENDPOINT_OVERRIDE'),
    graphEndpointOverride: optional('GRAPH_ENDPOINT_OVERRIDE'),
    keyVaultTokenOverride: optional('KEY_VAULT_TOKEN_OVERRIDE'),
    localFunctionKey: optional('LOCAL_FUNCTION_KEY'),
    localHostPort: int('LOCAL_HOST_PORT'),
    localHostAddress: str('LOCAL_HOST_ADDRESS'),
    ...credentialFields(values),
    settings: Object.freeze({ ...values }),
  });
}

function credentialFields(values: Record<string, SettingValue | undefined>) {
  const credential = credentialConfig(values);
  return {
    clientCredential: credential.kind,
    clientCertificateName: credential.certificateName,
    managedIdentityEndpointOverride: credential.managedIdentityEndpointOverride,
    managedIdentityEndpointHeader: credential.managedIdentityEndpointHeader,
  };
}
