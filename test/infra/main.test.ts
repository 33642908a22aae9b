// infra/main.bicep compiled by the real Bicep compiler, then checked as ARM JSON: what protects the
// user's data (no shared keys, RBAC vault with purge protection, least-privilege roles for the
// managed identity only) and what the code needs (every 'template' setting, Node 22 on FC1).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  compile,
  failing,
  formatDiagnostic,
  REPO_ROOT,
  type ArmTemplate,
  type Diagnostic,
} from '../../scripts/bicep';
import { DEPLOYED_NODE_ARGUMENTS, DEPLOYED_WORKER_ENV } from '../../bench/processes';
import { SETTINGS } from '../../src/config/settings';
import { ALERT_EVENTS } from '../../src/log/alertEvents';
import {
  allResources,
  describeWithBicep,
  flat,
  moduleParameterValue,
  ofType,
  props,
  resolveParameter,
  roleGuid,
  scopeType,
  variableValue,
  type Json,
  type Located,
} from './arm';

// Azure's built-in role ids (the same in every tenant): the least-privilege roles the app is given.
const ROLES = {
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7',
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  storageBlobDataReader: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1',
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb',
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
};

/** The identity's role assignments the product needs: role, the resource type it is scoped to, and the module. */
const EXPECTED_IDENTITY_ROLES = [
  { role: ROLES.storageBlobDataOwner, scope: 'Microsoft.Storage/storageAccounts', module: 'storage' },
  { role: ROLES.storageQueueDataContributor, scope: 'Microsoft.Storage/storageAccounts', module: 'storage' },
  { role: ROLES.storageTableDataContributor, scope: 'Microsoft.Storage/storageAccounts', module: 'storage' },
  { role: ROLES.keyVaultSecretsOfficer, scope: 'Microsoft.KeyVault/vaults', module: 'keyvault' },
  { role: ROLES.monitoringMetricsPublisher, scope: 'Microsoft.Insights/components', module: 'monitoring' },
  {
    role: ROLES.storageBlobDataReader,
    scope: 'Microsoft.Storage/storageAccounts',
    module: 'source-storage-access',
  },
];

const IDENTITY_PRINCIPAL =
  /^\[reference\(resourceId\('Microsoft\.ManagedIdentity\/userAssignedIdentities', .+\), '[\d-]+'\)\.principalId\]$/;
const IDENTITY_CLIENT_ID =
  /^\[reference\(resourceId\('Microsoft\.ManagedIdentity\/userAssignedIdentities', .+\), '[\d-]+'\)\.clientId\]$/;

/** Settings the template may set beyond SETTINGS: read by the platform or the Azure SDKs, not by our loader. */
const PLATFORM_EXTRAS = [
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
  'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
  'AZURE_CLIENT_ID',
  // glibc's, for the worker's memory (infra/main.bicep says why; bench/processes.ts runs the same).
  'MALLOC_ARENA_MAX',
  // The host's, for the Node.js worker's flags (infra/main.bicep says why; the bench runs the same).
  'languageWorkers__node__arguments',
];

describeWithBicep('infra/main.bicep', (compiler) => {
  let template: ArmTemplate;
  let all: Located[];
  let settings: Record<string, unknown>;
  let diagnostics: Diagnostic[];

  // Starting the compiler is the slow part (seconds), so once per file: `bicep build` applies the
  // same linter rules (infra/bicepconfig.json) as `bicep lint`, so one run gives both the ARM JSON
  // and every lint diagnostic.
  beforeAll(async () => {
    const built = await compile(compiler(), 'infra/main.bicep');
    diagnostics = built.diagnostics;
    // Without a template every assertion below would fail for the same reason: say it once, in the compiler's words.
    if (!built.template)
      throw new Error(`main.bicep does not compile:\n${built.diagnostics.map(formatDiagnostic).join('\n')}`);
    template = built.template;
    all = allResources(template);
    const configs = ofType(all, 'Microsoft.Web/sites/config').filter((l) =>
      flat(l.resource.name).includes("'appsettings'"),
    );
    settings = configs.length === 1 ? appSettingsOf(configs[0]) : {};
  }, 180_000);

  it('compiles and lints (rules in infra/bicepconfig.json) with no errors and no warnings', () => {
    expect(failing(diagnostics).map(formatDiagnostic)).toEqual([]);
  });

  describe('storage for the host and state', () => {
    it('refuses shared keys, old TLS, plain HTTP and anonymous blob access', () => {
      const accounts = ofType(all, 'Microsoft.Storage/storageAccounts').filter((l) => !l.resource.existing);
      expect(accounts.length).toBeGreaterThan(0);
      for (const account of accounts) {
        expect(props(account)).toMatchObject({
          allowSharedKeyAccess: false,
          minimumTlsVersion: 'TLS1_2',
          allowBlobPublicAccess: false,
          supportsHttpsTrafficOnly: true,
        });
      }
    });

    it('has the product queues, each with its -poison twin', () => {
      const [queues] = ofType(all, 'Microsoft.Storage/storageAccounts/queueServices/queues');
      const names = variableValue(queues, String(queues.resource.name)) as string[];
      for (const q of ['backup-plan', 'backup-upload', 'restore']) {
        expect(names).toContain(q);
        expect(names).toContain(`${q}-poison`);
      }
    });

    it('has state tables and a private deployment container', () => {
      expect(ofType(all, 'Microsoft.Storage/storageAccounts/tableServices/tables')).toHaveLength(1);
      const [container] = ofType(all, 'Microsoft.Storage/storageAccounts/blobServices/containers');
      expect(props(container).publicAccess).toBe('None');
    });
  });

  describe('Key Vault', () => {
    it('authorizes with Azure RBAC, keeps soft delete and cannot be purged early', () => {
      const [vault] = ofType(all, 'Microsoft.KeyVault/vaults');
      expect(props(vault)).toMatchObject({
        enableRbacAuthorization: true,
        enableSoftDelete: true,
        enablePurgeProtection: true,
      });
      expect(props(vault).accessPolicies ?? []).toEqual([]);
    });

    it('recovers a soft-deleted vault of the same name when asked, and grants its roles again either way', () => {
      const [vault] = ofType(all, 'Microsoft.KeyVault/vaults');
      expect(resolveParameter(vault, props(vault).createMode)).toBe("[parameters('keyVaultCreateMode')]");
      const declared = (template.parameters as Record<string, Json>).keyVaultCreateMode;
      expect(declared).toMatchObject({ defaultValue: 'default', allowedValues: ['default', 'recover'] });
      // Soft delete drops a vault's role assignments: the recovered vault gets them only if the
      // deployment declares them unconditionally (not just on first creation).
      const onVault = ofType(all, 'Microsoft.Authorization/roleAssignments').filter(
        (l) => scopeType(l) === 'Microsoft.KeyVault/vaults',
      );
      expect(onVault.length).toBeGreaterThan(0);
      for (const assignment of onVault)
        expect(flat(assignment.resource.condition ?? '')).not.toContain('createMode');
    });
  });

  describe('monitoring', () => {
    it('puts Application Insights on Log Analytics with key-based ingestion off', () => {
      const [ai] = ofType(all, 'Microsoft.Insights/components');
      expect(props(ai).DisableLocalAuth).toBe(true);
      expect(flat(props(ai).WorkspaceResourceId)).toContain('Microsoft.OperationalInsights/workspaces');
    });

    it('emails the alertEmail parameter through an action group', () => {
      const [group] = ofType(all, 'Microsoft.Insights/actionGroups');
      const receivers = props(group).emailReceivers as Json[];
      expect(receivers).toHaveLength(1);
      expect(resolveParameter(group, receivers[0].emailAddress)).toBe("[parameters('alertEmail')]");
    });

    it('has one log alert per documented event, wired to the action group', () => {
      const [rules] = ofType(all, 'Microsoft.Insights/scheduledQueryRules');
      const table = variableValue(rules, "variables('alertRules')") as Array<{ event: string }>;
      expect(flat(rules.resource.copy)).toContain("length(variables('alertRules'))");
      expect(table.map((r) => r.event).sort()).toEqual(documentedAlertEvents().sort());
      expect(table.map((r) => r.event).sort()).toEqual(Object.values(ALERT_EVENTS).sort());
      const p = props(rules);
      expect(flat(p.criteria)).toContain('.event');
      expect(flat(p.actions)).toContain('Microsoft.Insights/actionGroups');
      expect(flat(p.scopes)).toContain('Microsoft.Insights/components');
    });
  });

  describe('role assignments', () => {
    const assignments = (): Located[] => ofType(all, 'Microsoft.Authorization/roleAssignments');
    const identityAssignments = (): Located[] =>
      assignments().filter((l) => IDENTITY_PRINCIPAL.test(String(resolveParameter(l, props(l).principalId))));

    it.each(EXPECTED_IDENTITY_ROLES)(
      'gives the managed identity role $role on its $scope ($module), as a ServicePrincipal',
      ({ role, scope, module }) => {
        const matches = identityAssignments().filter(
          (l) => roleGuid(l) === role && l.deployment?.name === module,
        );
        expect(matches).toHaveLength(1);
        const [assignment] = matches;
        expect(scopeType(assignment)).toBe(scope);
        expect(props(assignment).principalType).toBe('ServicePrincipal');
        expect(assignment.resource.condition).toBeUndefined();
        // Scoped to the resource the module manages (or is given), by its own name parameter.
        expect(String(assignment.resource.scope)).toMatch(
          /parameters\('(name|appInsightsName|storageAccountName)'\)\)\]$/,
        );
      },
    );

    it('grants the managed identity nothing else (least privilege)', () => {
      const granted = identityAssignments()
        .map((l) => `${roleGuid(l)} ${String(l.deployment?.name)}`)
        .sort();
      const expected = [
        ...EXPECTED_IDENTITY_ROLES.map((e) => `${e.role} ${e.module}`),
        `${ROLES.storageBlobDataContributor} source-storage-access`,
      ].sort();
      expect(granted).toEqual(expected);
    });

    it('lets the identity write only the restore target containers, each at container scope', () => {
      const writers = identityAssignments().filter((l) => roleGuid(l) === ROLES.storageBlobDataContributor);
      expect(writers).toHaveLength(1);
      const [writer] = writers;
      expect(scopeType(writer)).toBe('Microsoft.Storage/storageAccounts/blobServices/containers');
      expect(flat(writer.resource.copy)).toContain("length(parameters('restoreTargetContainers'))");
      expect(String(writer.resource.scope)).toContain("parameters('restoreTargetContainers')[copyIndex()]");
      const containers = ofType(all, 'Microsoft.Storage/storageAccounts/blobServices/containers').filter(
        (l) => l.deployment === writer.deployment,
      );
      expect(containers).toHaveLength(1);
      expect(props(containers[0]).publicAccess).toBe('None');
      const top = (template.parameters as Record<string, Json>).restoreTargetContainers;
      expect(top.defaultValue).toEqual(['restore']);
      // The app is told exactly those containers, in the source account.
      expect(String(settings.RESTORE_TARGET_CONTAINERS)).toContain("parameters('restoreTargetContainers')");
      expect(String(settings.RESTORE_TARGET_CONTAINERS)).toContain("parameters('sourceStorageAccountName')");
      // The storage token goes only to the account the identity has roles on.
      expect(String(settings.SOURCE_STORAGE_ACCOUNTS)).toBe("[parameters('sourceStorageAccountName')]");
    });

    it('never assigns at resource group or subscription scope', () => {
      for (const l of assignments()) expect(scopeType(l)).not.toBe('resourceGroup');
    });

    it('lets only the deployer (optionally) into the vault besides the identity', () => {
      // The source account's Event Grid topic has its own two (test/infra/blobEvents.test.ts).
      const others = assignments().filter(
        (l) => !identityAssignments().includes(l) && l.deployment?.name !== 'blob-events-access',
      );
      expect(others).toHaveLength(1);
      const [deployer] = others;
      expect(roleGuid(deployer)).toBe(ROLES.keyVaultSecretsOfficer);
      expect(scopeType(deployer)).toBe('Microsoft.KeyVault/vaults');
      expect(resolveParameter(deployer, props(deployer).principalId)).toBe(
        "[parameters('deployerPrincipalId')]",
      );
      expect(flat(deployer.resource.condition)).toContain("parameters('deployerPrincipalId')");
    });

    it('reads the source account at its own resource group and subscription, which may differ', () => {
      const [module] = ofType(all, 'Microsoft.Resources/deployments').filter(
        (l) => l.resource.name === 'source-storage-access',
      );
      expect(flat(module.resource.resourceGroup)).toContain("parameters('sourceStorageResourceGroup')");
      expect(flat(module.resource.subscriptionId)).toContain("parameters('sourceStorageSubscriptionId')");
      const [reader] = ofType(all, 'Microsoft.Authorization/roleAssignments').filter(
        (l) => l.deployment === module.resource,
      );
      expect(resolveParameter(reader, "[parameters('storageAccountName')]")).toBe(
        "[parameters('sourceStorageAccountName')]",
      );
    });
  });

  describe('function app', () => {
    it('runs on a Linux Flex Consumption (FC1) plan', () => {
      const [plan] = ofType(all, 'Microsoft.Web/serverfarms');
      expect(plan.resource.sku).toEqual({ name: 'FC1', tier: 'FlexConsumption' });
      expect(props(plan).reserved).toBe(true);
    });

    it('runs Node 22 from functionAppConfig, HTTPS only, as the user-assigned identity', () => {
      const [site] = ofType(all, 'Microsoft.Web/sites');
      expect(String(site.resource.kind)).toContain('linux');
      const p = props(site);
      expect(p.httpsOnly).toBe(true);
      const config = p.functionAppConfig as Json;
      expect(config.runtime).toEqual({ name: 'node', version: '22' });
      const identity = site.resource.identity as Json;
      expect(identity.type).toBe('UserAssigned');
      expect(flat(identity.userAssignedIdentities)).toContain("parameters('identityId')");
      expect(flat(site.resource.tags)).toContain('azd-service-name');
    });

    it('deploys its package from the state account with the identity, not a key', () => {
      const [site] = ofType(all, 'Microsoft.Web/sites');
      const storage = ((props(site).functionAppConfig as Json).deployment as Json).storage as Json;
      expect(storage.type).toBe('blobContainer');
      expect(storage.authentication).toEqual({
        type: 'UserAssignedIdentity',
        userAssignedIdentityResourceId: "[parameters('identityId')]",
      });
      expect(flat(resolveParameter(site, storage.value))).toContain('deploymentContainerUrl');
    });

    it('turns off publishing with user names and passwords', () => {
      const policies = ofType(all, 'Microsoft.Web/sites/basicPublishingCredentialsPolicies');
      expect(policies).toHaveLength(2);
      for (const p of policies) expect(props(p).allow).toBe(false);
    });
  });

  describe('app settings', () => {
    const templateSettings = SETTINGS.filter((s) => s.source === 'template');

    it.each(templateSettings.map((s) => s.name))(
      'sets %s (source: template in src/config/settings.ts)',
      (name) => {
        expect(settings).toHaveProperty([name]);
        expect(settings[name]).not.toBe('');
      },
    );

    it('sets nothing the code does not know, and no local-only setting', () => {
      const known = new Set([...templateSettings.map((s) => s.name), ...PLATFORM_EXTRAS]);
      expect(Object.keys(settings).filter((k) => !known.has(k))).toEqual([]);
      for (const local of SETTINGS.filter((s) => s.source !== 'template'))
        expect(settings).not.toHaveProperty([local.name]);
      // Flex Consumption rejects these: the runtime comes from functionAppConfig.
      for (const name of [
        'FUNCTIONS_WORKER_RUNTIME',
        'FUNCTIONS_EXTENSION_VERSION',
        'WEBSITE_RUN_FROM_PACKAGE',
      ])
        expect(settings).not.toHaveProperty([name]);
    });

    it('connects to storage with the managed identity', () => {
      expect(settings.AzureWebJobsStorage__credential).toBe('managedidentity');
      expect(settings.MALLOC_ARENA_MAX).toBe(DEPLOYED_WORKER_ENV.MALLOC_ARENA_MAX);
      expect(settings.languageWorkers__node__arguments).toBe(DEPLOYED_NODE_ARGUMENTS);
      expect(String(settings.AzureWebJobsStorage__clientId)).toMatch(IDENTITY_CLIENT_ID);
      expect(String(settings.MANAGED_IDENTITY_CLIENT_ID)).toMatch(IDENTITY_CLIENT_ID);
      expect(String(settings.APPLICATIONINSIGHTS_AUTHENTICATION_STRING)).toContain('Authorization=AAD');
    });

    it('holds no account key, SAS, instrumentation key or secret value', () => {
      const text = flat(settings);
      for (const bad of [
        /AccountKey=/i,
        /SharedAccessSignature/i,
        /InstrumentationKey=/i,
        /sig=/i,
        /list(Keys|Secrets|ConnectionStrings)\(/i,
      ])
        expect(text).not.toMatch(bad);
      // And nowhere in the template is a key listed (a listKeys() anywhere would put a key in a deployment).
      expect(flat(template)).not.toMatch(/list(Keys|AccountSas|ServiceSas|Secrets|ConnectionStrings)\(/);
      // The client secret's value never comes from the template: only its name, and no secure parameter exists to carry one.
      expect(Object.keys(settings).filter((k) => /(secret|password|key|token)$/i.test(k))).toEqual([]);
      expect(settings.CLIENT_SECRET_NAME).toBe("[parameters('clientSecretName')]");
      const types = Object.values(template.parameters as Record<string, Json>).map((p) =>
        String(p.type).toLowerCase(),
      );
      expect(types.filter((t) => t.startsWith('secure'))).toEqual([]);
    });

    it('derives PUBLIC_BASE_URL and KEY_VAULT_URL from the resources, not hard-coded hosts', () => {
      expect(String(settings.PUBLIC_BASE_URL)).toContain('defaultHostName');
      expect(String(settings.KEY_VAULT_URL)).toContain('outputs.uri.value');
      expect(flat(template)).not.toMatch(/vault\.azure\.net|azurewebsites\.net|core\.windows\.net/);
    });

    it('defaults each tuning parameter to the code default, within the code bounds', () => {
      const params = template.parameters as Record<string, Json>;
      for (const spec of templateSettings) {
        const value = String(settings[spec.name]);
        const m = /^\[(?:string\()?parameters\('([^']+)'\)\)?\]$/.exec(value);
        if (!m) continue; // derived from a resource, not a parameter
        const param = params[m[1]];
        expect(param).toBeDefined();
        if (spec.default !== undefined) expect(String(param.defaultValue)).toBe(spec.default);
        if (spec.min !== undefined && param.type === 'int') expect(param.minValue).toBe(spec.min);
        if (spec.max !== undefined && param.type === 'int') expect(param.maxValue).toBe(spec.max);
        if (spec.values)
          expect([...(param.allowedValues as string[])].sort()).toEqual([...spec.values].sort());
      }
    });
  });

  describe('outputs', () => {
    it('give the base URL, the exact redirect URI and the vault name', () => {
      const outputs = template.outputs as Record<string, Json>;
      expect(flat(outputs.FUNCTION_BASE_URL.value)).toContain('baseUrl');
      expect(String(outputs.AUTH_REDIRECT_URI.value)).toMatch(/\/api\/auth\/callback'/);
      expect(flat(outputs.AUTH_REDIRECT_URI.value)).toContain('baseUrl');
      expect(flat(outputs.KEY_VAULT_NAME.value)).toContain("'keyvault'");
    });

    it('give no secret', () => {
      for (const [name, output] of Object.entries(template.outputs as Record<string, Json>)) {
        expect([name, output.type]).not.toContain('securestring');
        expect(flat(output.value)).not.toMatch(/ConnectionString|list\w+\(/i);
      }
    });
  });
});

/** Flattens a sites/config appsettings resource's properties: `union(parameters('appSettings'), createObject(...))`. */
function appSettingsOf(l: Located): Record<string, unknown> {
  const expression: unknown = l.resource.properties;
  if (typeof expression !== 'string') return expression as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  if (expression.includes("parameters('appSettings')")) {
    Object.assign(out, moduleParameterValue(l, 'appSettings') as Json);
  }
  for (const m of expression.matchAll(/createObject\('([^']+)',\s*(.+?)\)\)\]?$/g)) out[m[1]] = `[${m[2]})]`;
  return out;
}

/** Event names in the Alerts table of docs/deploy.md (first column, in backticks). */
function documentedAlertEvents(): string[] {
  const doc = readFileSync(join(REPO_ROOT, 'docs', 'deploy.md'), 'utf8');
  const section = doc.split(/^## /m).find((s) => s.startsWith('Alerts'));
  if (!section) throw new Error('docs/deploy.md has no "## Alerts" section');
  return [...section.matchAll(/^\|\s*`([a-z_.]+)`\s*\|/gm)].map((m) => m[1]);
}
