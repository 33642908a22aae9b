// infra/eventgrid.bicep (the post-deploy step) and the way azd runs it; infra/main.bicepparam.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildParams,
  compile,
  failing,
  formatDiagnostic,
  REPO_ROOT,
  type ArmTemplate,
  type Diagnostic,
} from '../../scripts/bicep';
import { allResources, describeWithBicep, flat, ofType, props, type Json, type Located } from './arm';

const read = (path: string): string => readFileSync(join(REPO_ROOT, path), 'utf8');

describeWithBicep('infra/eventgrid.bicep', (compiler) => {
  let template: ArmTemplate;
  let all: Located[];
  let diagnostics: Diagnostic[];

  // One compiler run: `bicep build` reports the linter rules too (see main.test.ts).
  beforeAll(async () => {
    const built = await compile(compiler(), 'infra/eventgrid.bicep');
    diagnostics = built.diagnostics;
    if (!built.template)
      throw new Error(
        `eventgrid.bicep does not compile:\n${built.diagnostics.map(formatDiagnostic).join('\n')}`,
      );
    template = built.template;
    all = allResources(template);
  }, 180_000);

  it('compiles and lints with no errors and no warnings', () => {
    expect(failing(diagnostics).map(formatDiagnostic)).toEqual([]);
  });

  it('creates a Key Vault system topic on the vault', () => {
    const [topic] = ofType(all, 'Microsoft.EventGrid/systemTopics');
    expect(props(topic).topicType).toBe('Microsoft.KeyVault.vaults');
    expect(flat(props(topic).source)).toContain(
      "resourceId('Microsoft.KeyVault/vaults', parameters('keyVaultName'))",
    );
  });

  it('delivers SecretNearExpiry and SecretExpired, for the client secret only, to the secretNearExpiry function', () => {
    const [subscription] = ofType(all, 'Microsoft.EventGrid/systemTopics/eventSubscriptions');
    const p = props(subscription);
    const destination = p.destination as Json;
    expect(destination.endpointType).toBe('AzureFunction');
    expect(flat((destination.properties as Json).resourceId)).toContain(
      "/functions/{1}', resourceId('Microsoft.Web/sites'",
    );
    expect((template.parameters as Record<string, Json>).functionName.defaultValue).toBe('secretNearExpiry');
    const filter = p.filter as Json;
    expect([...(filter.includedEventTypes as string[])].sort()).toEqual([
      'Microsoft.KeyVault.SecretExpired',
      'Microsoft.KeyVault.SecretNearExpiry',
    ]);
    expect(filter.subjectBeginsWith).toBe("[parameters('clientSecretName')]");
    expect(filter.subjectEndsWith).toBe("[parameters('clientSecretName')]");
  });

  it('is run by azd after the code is deployed', () => {
    const azureYaml = read('azure.yaml');
    expect(azureYaml).toMatch(/^\s+postdeploy:/m);
    expect(azureYaml).toContain('infra/hooks/postdeploy.sh');
    expect(azureYaml).toMatch(/host:\s*function/);
    const hook = read('infra/hooks/postdeploy.sh');
    expect(hook).toContain('infra/eventgrid.bicep');
    // The hook passes what main.bicep outputs, so the two cannot disagree on names.
    for (const output of ['KEY_VAULT_NAME', 'FUNCTION_APP_NAME', 'AZURE_RESOURCE_GROUP'])
      expect(hook).toContain(output);
  });
});

describeWithBicep('infra/main.bicepparam', (compiler) => {
  const required = {
    GRAPH_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
    ALERT_EMAIL: 'owner@example.com',
    SOURCE_STORAGE_ACCOUNT: 'sourcedata',
  };
  const envWithout = (omit: string[] = []): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...required };
    for (const name of omit) delete env[name];
    return env;
  };

  it('builds from the environment azd provides, setting every parameter main.bicep requires', async () => {
    const result = await buildParams(compiler(), 'infra/main.bicepparam', {
      ...envWithout(),
      AZURE_ENV_NAME: 'test',
      AZURE_PRINCIPAL_ID: '99999999-8888-7777-6666-555555555555',
    });
    if (!result.ok) throw new Error(result.stderr);
    const declared = result.template.parameters as Record<string, { defaultValue?: unknown }>;
    const requiredParams = Object.keys(declared).filter((name) => !('defaultValue' in declared[name]));
    expect(requiredParams.filter((name) => !(name in result.parameters))).toEqual([]);
    expect(result.parameters.graphClientId.value).toBe(required.GRAPH_CLIENT_ID);
    expect(result.parameters.alertEmail.value).toBe(required.ALERT_EMAIL);
    expect(result.parameters.sourceStorageAccountName.value).toBe(required.SOURCE_STORAGE_ACCOUNT);
    expect(result.parameters.deployerPrincipalId.value).toBe('99999999-8888-7777-6666-555555555555');
    expect(result.parameters.environmentName.value).toBe('test');
    expect(result.parameters.keyVaultCreateMode.value).toBe('default');
  }, 120_000);

  it("passes the preprovision hook's KEY_VAULT_CREATE_MODE to the vault", async () => {
    const result = await buildParams(compiler(), 'infra/main.bicepparam', {
      ...envWithout(),
      KEY_VAULT_CREATE_MODE: 'recover',
    });
    if (!result.ok) throw new Error(result.stderr);
    expect(result.parameters.keyVaultCreateMode.value).toBe('recover');
    const azureYaml = read('azure.yaml');
    expect(azureYaml).toMatch(/^\s+preprovision:/m);
    expect(azureYaml).toContain('infra/hooks/preprovision.sh');
    expect(read('infra/hooks/preprovision.sh')).toContain('azd env set KEY_VAULT_CREATE_MODE');
  }, 120_000);

  it('refuses to build without GRAPH_CLIENT_ID, naming it', async () => {
    const result = await buildParams(compiler(), 'infra/main.bicepparam', envWithout(['GRAPH_CLIENT_ID']));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.stderr).toContain('GRAPH_CLIENT_ID');
  }, 120_000);
});
