// The certificate and federated credentials in infra/: the custom signer role in main.bicep (only
// keys/sign and certificates/read, assignable in this resource group), the settings and outputs the
// product and the setup guide use, the certificate policy (key not exportable, auto-renew), and the
// postprovision hook that creates the certificate and assigns the role at key and certificate scope.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile, failing, formatDiagnostic, REPO_ROOT, type ArmTemplate } from '../../scripts/bicep';
import { allResources, describeWithBicep, flat, ofType, props, type Json } from './arm';

describeWithBicep('infra/main.bicep: client credentials', (compiler) => {
  let template: ArmTemplate;

  beforeAll(async () => {
    const built = await compile(compiler(), 'infra/main.bicep');
    if (!built.template || failing(built.diagnostics).length)
      throw new Error(built.diagnostics.map(formatDiagnostic).join('\n'));
    template = built.template;
  }, 180_000);

  it('defines a custom role with only sign on a key and read of a certificate', () => {
    const roles = ofType(allResources(template), 'Microsoft.Authorization/roleDefinitions');
    expect(roles).toHaveLength(1);
    const p = props(roles[0]);
    expect(p.type).toBe('CustomRole');
    expect(p.permissions).toEqual([
      {
        actions: [],
        notActions: [],
        dataActions: [
          'Microsoft.KeyVault/vaults/keys/sign/action',
          'Microsoft.KeyVault/vaults/certificates/read',
        ],
        notDataActions: [],
      },
    ]);
    expect(flat(p.assignableScopes)).toContain('resourceGroup().id');
  });

  it('lets the credential kind be chosen, secret by default, and tells the app', () => {
    const params = template.parameters as Record<string, Json>;
    expect(params.clientCredential).toMatchObject({
      defaultValue: 'secret',
      allowedValues: ['secret', 'certificate', 'federated'],
    });
    // main.test.ts checks that every 'template' setting is set; here, that these two come from the parameters.
    const text = flat(template.resources);
    expect(text).toContain(`"CLIENT_CREDENTIAL":"[parameters('clientCredential')]"`);
    expect(text).toContain(`"CLIENT_CERTIFICATE_NAME":"[parameters('clientCertificateName')]"`);
  });

  it('outputs the federated credential to add: issuer of this tenant, subject the identity, audience of the cloud', () => {
    const outputs = template.outputs as Record<string, { value: string }>;
    expect(outputs.FEDERATED_CREDENTIAL_ISSUER.value).toBe(
      "[format('{0}{1}/v2.0', environment().authentication.loginEndpoint, tenant().tenantId)]",
    );
    expect(outputs.FEDERATED_CREDENTIAL_SUBJECT.value).toContain('principalId');
    for (const audience of [
      'api://AzureADTokenExchange',
      'AzureADTokenExchangeUSGov',
      'AzureADTokenExchangeChina',
    ])
      expect(outputs.FEDERATED_CREDENTIAL_AUDIENCE.value).toContain(audience);
    for (const name of [
      'CLIENT_CREDENTIAL',
      'CLIENT_CERTIFICATE_NAME',
      'KEY_VAULT_ID',
      'CERTIFICATE_SIGNER_ROLE_ID',
    ])
      expect(outputs).toHaveProperty([name]);
  });
});

describe('infra/hooks/certificate-policy.json', () => {
  const policy = JSON.parse(readFileSync(join(REPO_ROOT, 'infra/hooks/certificate-policy.json'), 'utf8')) as {
    keyProperties: Json;
    lifetimeActions: Array<{ action: Json; trigger: Json }>;
    issuerParameters: Json;
  };

  it('makes an RSA key that cannot be exported, renewed automatically before expiry', () => {
    expect(policy.keyProperties).toMatchObject({ exportable: false, keyType: 'RSA' });
    expect(policy.keyProperties.keySize as number).toBeGreaterThanOrEqual(2048);
    expect(policy.lifetimeActions).toEqual([
      { action: { actionType: 'AutoRenew' }, trigger: { lifetimePercentage: 80 } },
    ]);
    expect(policy.issuerParameters).toEqual({ name: 'Self' });
  });
});

describe('postprovision.sh: the client certificate', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hooks-cert-'));
    // `az`: logs its arguments; `certificate show` fails (absent) unless EXISTS is set.
    writeFileSync(
      join(dir, 'az'),
      `#!/bin/sh
echo "az $*" >> "${dir}/calls"
case "$*" in
  "keyvault certificate show"*) [ -n "\${EXISTS:-}" ] || exit 3 ;;
esac
`,
    );
    chmodSync(join(dir, 'az'), 0o755);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const outputs = {
    KEY_VAULT_NAME: 'kv-abc',
    KEY_VAULT_ID: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-abc',
    MANAGED_IDENTITY_PRINCIPAL_ID: '11111111-2222-3333-4444-555555555555',
    CERTIFICATE_SIGNER_ROLE_ID: '/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/r',
    CLIENT_CERTIFICATE_NAME: 'app-cert',
  };

  function run(env: Record<string, string>) {
    const result = spawnSync('sh', [join(REPO_ROOT, 'infra/hooks/postprovision.sh')], {
      cwd: REPO_ROOT,
      env: { PATH: `${dir}:${process.env.PATH}`, ...env },
      encoding: 'utf8',
    });
    let calls: string[] = [];
    try {
      calls = readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n');
    } catch {
      /* none */
    }
    return { code: result.status, calls, stdout: result.stdout };
  }

  it('does nothing for the client secret', () => {
    const { code, calls } = run({ ...outputs, CLIENT_CREDENTIAL: 'secret' });
    expect(code).toBe(0);
    expect(calls).toEqual([]);
  });

  it('creates the certificate with the policy and assigns the signer role at key and certificate scope only', () => {
    const { code, calls, stdout } = run({ ...outputs, CLIENT_CREDENTIAL: 'certificate' });
    expect(code).toBe(0);
    expect(calls.filter((c) => c.includes('certificate create'))).toEqual([
      'az keyvault certificate create --vault-name kv-abc --name app-cert --policy @infra/hooks/certificate-policy.json --output none',
    ]);
    const scopes = calls
      .filter((c) => c.startsWith('az role assignment create'))
      .map((c) => /--scope (\S+)/.exec(c)![1]);
    expect(scopes).toEqual([
      `${outputs.KEY_VAULT_ID}/keys/app-cert`,
      `${outputs.KEY_VAULT_ID}/certificates/app-cert`,
    ]);
    for (const c of calls.filter((c) => c.startsWith('az role assignment create')))
      expect(c).toContain(`--role ${outputs.CERTIFICATE_SIGNER_ROLE_ID}`);
    expect(stdout).toContain('npm run cli -- certificate');
  });

  it('keeps an existing certificate (Key Vault renews it) and still grants the role', () => {
    const { code, calls } = run({ ...outputs, CLIENT_CREDENTIAL: 'certificate', EXISTS: '1' });
    expect(code).toBe(0);
    expect(calls.some((c) => c.includes('certificate create'))).toBe(false);
    expect(calls.filter((c) => c.startsWith('az role assignment create'))).toHaveLength(2);
  });
});
