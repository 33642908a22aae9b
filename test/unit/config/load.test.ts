import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  CORE_TOOLS_VALUES,
  ConfigError,
  SETTINGS,
  loadConfig,
  renderLocalSettingsExample,
  runMode,
  type Config,
  type Env,
} from '../../../src/config';
import { isAppError } from '../../../src/errors';

/** The least a deployed (azure mode) app needs. */
function azureEnv(overrides: Record<string, string | undefined> = {}): Env {
  return {
    AzureWebJobsStorage__accountName: 'backupstate01',
    KEY_VAULT_URL: 'https://backup-kv.vault.azure.net/',
    GRAPH_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
    PUBLIC_BASE_URL: 'https://backup-func.azurewebsites.net',
    ...overrides,
  };
}

/** What the local host passes when it runs against Azurite and the emulators. */
function localEnv(overrides: Record<string, string | undefined> = {}): Env {
  return {
    RUN_MODE: 'local',
    AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    KEY_VAULT_URL: 'https://localhost:8443/',
    GRAPH_CLIENT_ID: 'local-client',
    ...overrides,
  };
}

function problemsOf(env: Env): ConfigError['problems'] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('loadConfig accepted the settings');
}

function problemFor(env: Env, setting: string): string {
  const found = problemsOf(env).find((p) => p.setting === setting);
  if (!found) throw new Error(`no problem reported for ${setting}`);
  return found.problem;
}

describe('loadConfig', () => {
  it('applies every default and returns a frozen, typed config', () => {
    const config = loadConfig(azureEnv());
    expect(config.mode).toBe('azure');
    expect(config.graphTenant).toBe('common');
    expect(config.graphCloud).toBe('global');
    expect(config.clientSecretName).toBe('graph-client-secret');
    expect(config.schedulerCron).toBe('0 0 * * * *');
    expect(config.secretCheckCron).toBe('0 0 8 * * *');
    expect(config.secretExpiryThresholdsDays).toEqual([30, 14, 7, 3, 1]);
    expect(config.uploadChunkBytes).toBe(10 * 1024 * 1024);
    expect(config.simpleUploadMaxBytes).toBe(4 * 1024 * 1024);
    expect(config.invocationBudgetSeconds).toBe(480);
    expect(config.plannerPageSize).toBe(5000);
    expect(config.runTimeoutMinutes).toBe(720);
    expect(config.localHostPort).toBe(7071);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.storage)).toBe(true);
    expect(Object.isFrozen(config.secretExpiryThresholdsDays)).toBe(true);
  });

  it('gives every setting of the table a typed field (or folds it into storage, mode or redirectUri)', () => {
    const folded: Record<string, string> = {
      AzureWebJobsStorage: 'storage',
      AzureWebJobsStorage__accountName: 'storage',
      AzureWebJobsStorage__credential: 'storage',
      AzureWebJobsStorage__clientId: 'storage',
      AzureWebJobsStorage__blobServiceUri: 'storage',
      AzureWebJobsStorage__queueServiceUri: 'storage',
      AzureWebJobsStorage__tableServiceUri: 'storage',
      RUN_MODE: 'mode',
      AUTH_REDIRECT_URI: 'redirectUri',
    };
    const camel = (name: string): string =>
      name.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    const config = loadConfig(azureEnv());
    for (const spec of SETTINGS) {
      const field = folded[spec.name] ?? camel(spec.name);
      expect({ setting: spec.name, hasField: field in config }).toEqual({
        setting: spec.name,
        hasField: true,
      });
      expect(Object.keys(config.settings)).toContain(spec.name);
    }
  });

  it('derives the redirect URI from PUBLIC_BASE_URL unless AUTH_REDIRECT_URI overrides it', () => {
    expect(loadConfig(azureEnv({ PUBLIC_BASE_URL: 'https://app.example.com/' })).redirectUri).toBe(
      'https://app.example.com/api/auth/callback',
    );
    expect(
      loadConfig(azureEnv({ AUTH_REDIRECT_URI: 'https://front.example.com/api/auth/callback' })).redirectUri,
    ).toBe('https://front.example.com/api/auth/callback');
  });

  describe('storage', () => {
    it('uses managed identity for an account name, with the storage client id before the general one', () => {
      const config = loadConfig(
        azureEnv({ AzureWebJobsStorage__clientId: 'storage-mi', MANAGED_IDENTITY_CLIENT_ID: 'code-mi' }),
      );
      expect(config.storage).toEqual({
        kind: 'identity',
        accountName: 'backupstate01',
        clientId: 'storage-mi',
        blobUrl: 'https://backupstate01.blob.core.windows.net',
        queueUrl: 'https://backupstate01.queue.core.windows.net',
        tableUrl: 'https://backupstate01.table.core.windows.net',
      });
      expect(loadConfig(azureEnv({ MANAGED_IDENTITY_CLIENT_ID: 'code-mi' })).storage).toMatchObject({
        clientId: 'code-mi',
      });
      expect(config.backends.storage).toBe('real');
    });

    it('prefers a connection string and marks Azurite as emulated', () => {
      const config = loadConfig(localEnv());
      expect(config.storage).toEqual({
        kind: 'connectionString',
        connectionString: 'UseDevelopmentStorage=true',
        emulated: true,
      });
      expect(config.backends.storage).toBe('emulated');
    });

    it('requires one of the two storage settings and checks the account name', () => {
      expect(
        problemFor(azureEnv({ AzureWebJobsStorage__accountName: undefined }), 'AzureWebJobsStorage'),
      ).toMatch(/is required.*AzureWebJobsStorage__accountName/);
      expect(
        problemFor(
          azureEnv({ AzureWebJobsStorage__accountName: 'Not_Valid' }),
          'AzureWebJobsStorage__accountName',
        ),
      ).toMatch(/3-24 lowercase letters and digits/);
    });
  });

  describe('run mode', () => {
    it('is azure unless told otherwise or pointed at an emulator', () => {
      expect(runMode({})).toBe('azure');
      expect(runMode({ RUN_MODE: 'local' })).toBe('local');
      expect(runMode({ RUN_MODE: 'azure', GRAPH_ENDPOINT_OVERRIDE: 'https://localhost:1' })).toBe('azure');
      expect(runMode({ GRAPH_ENDPOINT_OVERRIDE: 'https://localhost:1' })).toBe('local');
      expect(runMode({ KEY_VAULT_TOKEN_OVERRIDE: 'static' })).toBe('local');
      expect(runMode({ AzureWebJobsStorage: 'UseDevelopmentStorage=true' })).toBe('local');
      expect(
        runMode({ AzureWebJobsStorage: 'DefaultEndpointsProtocol=https;AccountName=real;AccountKey=x' }),
      ).toBe('azure');
    });

    it('in azure mode, requires a required setting even when it has a local default', () => {
      expect(problemFor(azureEnv({ PUBLIC_BASE_URL: undefined }), 'PUBLIC_BASE_URL')).toMatch(
        /is required: expected an absolute https:\/\/ URL/,
      );
    });

    it('in local mode, lets a required setting with a default fall back to it', () => {
      expect(loadConfig(localEnv()).publicBaseUrl).toBe('http://localhost:7071');
    });

    it('in local mode, still requires settings that have no default', () => {
      const problems = problemsOf(localEnv({ KEY_VAULT_URL: undefined, GRAPH_CLIENT_ID: '' }));
      expect(problems.map((p) => p.setting).sort()).toEqual(['GRAPH_CLIENT_ID', 'KEY_VAULT_URL']);
    });

    it('in azure mode, refuses http URLs; in local mode, accepts them', () => {
      expect(problemFor(azureEnv({ KEY_VAULT_URL: 'http://kv.example' }), 'KEY_VAULT_URL')).toMatch(
        /expected an absolute https:\/\/ URL, got "http:\/\/kv.example"/,
      );
      expect(loadConfig(localEnv({ KEY_VAULT_URL: 'http://127.0.0.1:1/' })).keyVaultUrl).toBe(
        'http://127.0.0.1:1/',
      );
    });

    it('reports which backends are emulated from the override settings', () => {
      const config = loadConfig(
        localEnv({
          LOGIN_ENDPOINT_OVERRIDE: 'https://localhost:1',
          GRAPH_ENDPOINT_OVERRIDE: 'https://localhost:2',
          KEY_VAULT_TOKEN_OVERRIDE: 'static-token',
        }),
      );
      expect(config.backends).toEqual({
        storage: 'emulated',
        identity: 'emulated',
        graph: 'emulated',
        keyVault: 'emulated',
      });
      expect(loadConfig(azureEnv()).backends).toEqual({
        storage: 'real',
        identity: 'real',
        graph: 'real',
        keyVault: 'real',
      });
    });
  });

  describe('validation by type', () => {
    it.each([
      ['url', 'KEY_VAULT_URL', 'not a url', /expected an absolute https:\/\/ URL, got "not a url"/],
      ['url scheme', 'KEY_VAULT_URL', 'ftp://kv.example', /https:\/\//],
      ['integer', 'PLANNER_PAGE_SIZE', '12abc', /expected an integer from 1 to 5000, got "12abc"/],
      ['integer above max', 'PLANNER_PAGE_SIZE', '5001', /from 1 to 5000/],
      ['integer below min', 'INVOCATION_BUDGET_SECONDS', '4', /from 5 to 3600/],
      ['fraction', 'RUN_TIMEOUT_MINUTES', '7.5', /an integer/],
      ['enum', 'GRAPH_CLOUD', 'mars', /expected one of global, usgov, usgov-dod, china, got "mars"/],
      ['ncrontab with 5 fields', 'SCHEDULER_CRON', '*/5 * * * *', /6-field NCRONTAB/],
      ['ncrontab out of range', 'SECRET_CHECK_CRON', '0 0 25 * * *', /6-field NCRONTAB/],
      [
        'integer list item',
        'SECRET_EXPIRY_THRESHOLDS_DAYS',
        '30,x,7',
        /comma-separated list of integers, each from 0 to 365/,
      ],
      ['integer list bound', 'SECRET_EXPIRY_THRESHOLDS_DAYS', '30,400', /from 0 to 365/],
      ['chunk not a multiple of 320 KiB', 'UPLOAD_CHUNK_BYTES', '1000000', /multiple of 327680/],
      ['chunk of 60 MiB', 'UPLOAD_CHUNK_BYTES', String(60 * 1024 * 1024), /multiple of 327680/],
    ])('rejects a bad %s and names the setting and what it expects', (_kind, setting, value, expected) => {
      const problems = problemsOf(azureEnv({ [setting]: value }));
      expect(problems).toHaveLength(1);
      expect(problems[0].setting).toBe(setting);
      expect(problems[0].problem).toMatch(expected);
    });

    it.each([
      ['UPLOAD_CHUNK_BYTES', String(327_680 * 3), 983_040],
      ['UPLOAD_CHUNK_BYTES', String(327_680 * 191), 62_586_880],
      ['SCHEDULER_CRON', '*/10 * * * * *', '*/10 * * * * *'],
      ['SECRET_EXPIRY_THRESHOLDS_DAYS', ' 60, 30 ,0', [60, 30, 0]],
      ['GRAPH_CLOUD', 'usgov-dod', 'usgov-dod'],
      ['LOCAL_HOST_PORT', '8080', 8080],
    ])('accepts a valid %s', (setting, value, parsed) => {
      expect(loadConfig(azureEnv({ [setting]: value })).settings[setting]).toEqual(parsed);
    });

    it('treats empty and whitespace values as unset, as Azure app settings can be empty', () => {
      expect(loadConfig(azureEnv({ GRAPH_TENANT: '  ', PLANNER_PAGE_SIZE: '' })).plannerPageSize).toBe(5000);
    });
  });

  it('reports every bad or missing setting at once in one ConfigInvalid error', () => {
    let caught: unknown;
    try {
      loadConfig({ GRAPH_CLOUD: 'mars', UPLOAD_CHUNK_BYTES: '100', SCHEDULER_CRON: 'often' });
    } catch (error) {
      caught = error;
    }
    expect(isAppError(caught, 'ConfigInvalid')).toBe(true);
    const error = caught as ConfigError;
    expect(error.problems.map((p) => p.setting).sort()).toEqual(
      [
        'AzureWebJobsStorage',
        'GRAPH_CLIENT_ID',
        'GRAPH_CLOUD',
        'KEY_VAULT_URL',
        'PUBLIC_BASE_URL',
        'SCHEDULER_CRON',
        'UPLOAD_CHUNK_BYTES',
      ].sort(),
    );
    for (const p of error.problems) expect(error.message).toContain(`${p.setting}: ${p.problem}`);
    expect(error.httpStatus).toBe(500);
    expect(error.advice).toMatch(/local.settings.example.json/);
  });

  it('keeps the config typed: a Config is assignable only with every field', () => {
    const config: Config = loadConfig(localEnv());
    expect(typeof config.localHostPort).toBe('number');
  });
});

describe('local.settings.example.json', () => {
  const file = path.join(__dirname, '..', '..', '..', 'local.settings.example.json');

  it('lists every setting of the table and nothing else but what Core Tools needs', () => {
    const values = (JSON.parse(readFileSync(file, 'utf8')) as { Values: Record<string, string> }).Values;
    expect(Object.keys(values).sort()).toEqual(
      [...SETTINGS.map((s) => s.name), ...Object.keys(CORE_TOOLS_VALUES)].sort(),
    );
  });

  it('is exactly what renderLocalSettingsExample() produces (regenerate: npx tsx src/config/example.ts > local.settings.example.json)', () => {
    expect(readFileSync(file, 'utf8')).toBe(renderLocalSettingsExample());
  });

  it('is a valid local configuration as written', () => {
    const values = (JSON.parse(renderLocalSettingsExample()) as { Values: Record<string, string> }).Values;
    // Only the two settings that name real resources are left for the developer to fill.
    const problems = problemsOf(values);
    expect(problems.map((p) => p.setting).sort()).toEqual(['GRAPH_CLIENT_ID', 'KEY_VAULT_URL']);
    expect(
      loadConfig({ ...values, KEY_VAULT_URL: 'https://kv.vault.azure.net/', GRAPH_CLIENT_ID: 'x' }).mode,
    ).toBe('local');
  });
});
