// The app in each Azure cloud: main.bicep compiled with the parameter file of each cloud
// (test/infra/clouds/*.bicepparam, the storage suffix environment() gives there), then the storage
// settings the template writes are evaluated and loaded by the code's own config loader. In every
// cloud the host and the code must reach the account under that cloud's suffix: no global-Azure
// host name may appear, and the identity-based AzureWebJobsStorage uses the service-URI form.
import { buildParams, compile, type ArmTemplate } from '../../scripts/bicep';
import { loadConfig } from '../../src/config';
import { allResources, describeWithBicep, flat, moduleParameterValue, ofType, type Json } from './arm';

const CLOUDS = [
  { file: 'global', suffix: 'core.windows.net', vault: 'vault.azure.net', graphCloud: 'global' },
  { file: 'usgov', suffix: 'core.usgovcloudapi.net', vault: 'vault.usgovcloudapi.net', graphCloud: 'usgov' },
  { file: 'china', suffix: 'core.chinacloudapi.cn', vault: 'vault.azure.cn', graphCloud: 'china' },
] as const;

const GLOBAL_HOSTS = /core\.windows\.net|vault\.azure\.net|azurewebsites\.net/;
const SERVICE_URIS = [
  'AzureWebJobsStorage__blobServiceUri',
  'AzureWebJobsStorage__queueServiceUri',
  'AzureWebJobsStorage__tableServiceUri',
];

/** The function app's settings as the module receives them. */
function appSettings(template: ArmTemplate): Record<string, string> {
  const [site] = ofType(allResources(template), 'Microsoft.Web/sites');
  return moduleParameterValue(site, 'appSettings') as Record<string, string>;
}

/**
 * Evaluates one `[format('https://{0}.blob.{1}', <account>, parameters('storageSuffix'))]` setting
 * with the deployment's parameters; the account (a module output) becomes `account`.
 */
function evaluateUri(
  expression: string,
  parameters: Record<string, { value: unknown }>,
  account: string,
): string {
  const m = /^\[format\('([^']+)',\s*(.+)\)\]$/.exec(expression);
  if (!m) throw new Error(`unexpected expression ${expression}`);
  const args = m[2].split(/,\s*(?![^(]*\))/).map((arg) => {
    const p = /^parameters\('(\w+)'\)$/.exec(arg.trim());
    if (p) return String(parameters[p[1]].value);
    if (arg.includes('outputs.name.value')) return account;
    throw new Error(`cannot evaluate ${arg} in ${expression}`);
  });
  return m[1].replace(/\{(\d+)\}/g, (_, i: string) => args[Number(i)]);
}

describeWithBicep('main.bicep in each cloud', (compiler) => {
  it('defaults the storage suffix to the cloud deployed to', async () => {
    const built = await compile(compiler(), 'infra/main.bicep');
    const params = built.template!.parameters as Record<string, Json>;
    expect(params.storageSuffix.defaultValue).toBe('[environment().suffixes.storage]');
  }, 120_000);

  it.each(CLOUDS)(
    '$file: the host and the code reach state storage under $suffix',
    async ({ file, suffix, vault, graphCloud }) => {
      const built = await buildParams(compiler(), `test/infra/clouds/${file}.bicepparam`, {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
      });
      if (!built.ok) throw new Error(built.stderr);
      const settings = appSettings(built.template);
      // The account-name form builds global-Azure host names: only the service URIs are set.
      expect(settings).not.toHaveProperty('AzureWebJobsStorage__accountName');
      const env: Record<string, string> = {
        AzureWebJobsStorage__credential: 'managedidentity',
        KEY_VAULT_URL: `https://kv-test.${vault}/`,
        GRAPH_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
        PUBLIC_BASE_URL: 'https://func-test.example',
        GRAPH_CLOUD: String(built.parameters.graphCloud.value),
      };
      for (const name of SERVICE_URIS) {
        env[name] = evaluateUri(settings[name], built.parameters, 'ststate01');
        expect(new URL(env[name]).hostname.endsWith(`.${suffix}`)).toBe(true);
      }
      expect(built.parameters.graphCloud.value).toBe(graphCloud);
      // The vault URL is the vault's own vaultUri, which carries the cloud's suffix.
      expect(settings.KEY_VAULT_URL).toContain('outputs.uri.value');
      if (file !== 'global') expect(flat(built.template)).not.toMatch(GLOBAL_HOSTS);

      const config = loadConfig(env);
      expect(config.storage).toMatchObject({
        kind: 'identity',
        accountName: 'ststate01',
        blobUrl: `https://ststate01.blob.${suffix}`,
        queueUrl: `https://ststate01.queue.${suffix}`,
        tableUrl: `https://ststate01.table.${suffix}`,
      });
      // The account-name form alone (an app setting added by hand) also follows the configured cloud.
      const byName = loadConfig({
        ...env,
        AzureWebJobsStorage__blobServiceUri: '',
        AzureWebJobsStorage__queueServiceUri: '',
        AzureWebJobsStorage__tableServiceUri: '',
        AzureWebJobsStorage__accountName: 'ststate01',
      });
      expect(byName.storage).toMatchObject({ queueUrl: `https://ststate01.queue.${suffix}` });
    },
    120_000,
  );
});
