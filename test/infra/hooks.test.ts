// The azd hooks (infra/hooks/*.sh) run against stand-ins for `az` and `azd` on PATH that record
// their arguments and answer as Azure would: the post-deploy retry while the function is not yet
// indexed, and the pre-provision decision to recover a soft-deleted vault after `azd down`.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../scripts/bicep';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hooks-'));
  // `az`: logs its arguments; `az deployment group create` fails while the counter file says so;
  // `az keyvault list-deleted` answers from DELETED_VAULTS ("name vaultId" lines).
  writeFileSync(
    join(dir, 'az'),
    `#!/bin/sh
echo "az $*" >> "${dir}/calls"
case "$*" in
  "deployment group create"*)
    left=$(cat "${dir}/failures" 2>/dev/null || echo 0)
    if [ "$left" -gt 0 ]; then echo $((left - 1)) > "${dir}/failures"; echo "ERROR: function not found" >&2; exit 1; fi ;;
  "keyvault list-deleted"*"length(@)"*)
    printf '%s\\n' "$DELETED_VAULTS" | grep -c "^$WANT_NAME " || true ;;
  "keyvault list-deleted"*)
    printf '%s\\n' "$DELETED_VAULTS" ;;
esac
`,
  );
  writeFileSync(join(dir, 'azd'), `#!/bin/sh\necho "azd $*" >> "${dir}/calls"\n`);
  chmodSync(join(dir, 'az'), 0o755);
  chmodSync(join(dir, 'azd'), 0o755);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function runHook(name: string, env: Record<string, string>) {
  const result = spawnSync('sh', [join(REPO_ROOT, 'infra', 'hooks', name)], {
    cwd: REPO_ROOT,
    env: { PATH: `${dir}:${process.env.PATH}`, ...env },
    encoding: 'utf8',
  });
  let calls: string[] = [];
  try {
    calls = readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n');
  } catch {
    /* no call made */
  }
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, calls };
}

describe('postdeploy.sh: the Event Grid subscription', () => {
  const outputs = {
    AZURE_RESOURCE_GROUP: 'rg-test',
    KEY_VAULT_NAME: 'kv-abc',
    FUNCTION_APP_NAME: 'func-abc',
    EVENTGRID_RETRY_SECONDS: '0',
    EVENTGRID_ATTEMPTS: '4',
  };

  it('retries while the function is not yet indexed, then succeeds', () => {
    writeFileSync(join(dir, 'failures'), '2');
    const r = runHook('postdeploy.sh', outputs);
    expect(r.code).toBe(0);
    expect(r.calls.filter((c) => c.startsWith('az deployment group create'))).toHaveLength(3);
    expect(r.stderr).toContain('Attempt 1 of 4 failed');
    expect(r.stdout).toContain('Done.');
  });

  it('gives up after the last attempt and says what to run by hand', () => {
    writeFileSync(join(dir, 'failures'), '99');
    const r = runHook('postdeploy.sh', outputs);
    expect(r.code).toBe(1);
    expect(r.calls.filter((c) => c.startsWith('az deployment group create'))).toHaveLength(4);
    expect(r.stderr).toContain(
      'az functionapp function show -g rg-test -n func-abc --function-name secretNearExpiry',
    );
    expect(r.stderr).toContain(
      'az deployment group create -g rg-test -n eventgrid-secret-near-expiry -f infra/eventgrid.bicep -p keyVaultName=kv-abc functionAppName=func-abc',
    );
  });
});

describe('preprovision.sh: a soft-deleted vault after azd down', () => {
  const sub = '00000000-0000-0000-0000-000000000001';
  const vaultId = (rg: string, name: string) =>
    `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.KeyVault/vaults/${name}`;
  const modeSet = (calls: string[]) =>
    calls.filter((c) => c.startsWith('azd env set KEY_VAULT_CREATE_MODE')).map((c) => c.split(' ').pop());

  it.each([
    ['recovers the vault azd remembers when it is soft-deleted', 'kv-abc', 'recover'],
    ['creates when nothing of this environment is soft-deleted', 'kv-other', 'default'],
  ])('%s', (_title, deletedName, mode) => {
    const r = runHook('preprovision.sh', {
      AZURE_ENV_NAME: 'prod',
      KEY_VAULT_NAME: 'kv-abc',
      WANT_NAME: 'kv-abc',
      DELETED_VAULTS: `${deletedName} ${vaultId('rg-prod', deletedName)}`,
    });
    expect(r.code).toBe(0);
    expect(modeSet(r.calls)).toEqual([mode]);
  });

  it('without a remembered name, finds the vault by environment tag in this subscription and resource group', () => {
    const r = runHook('preprovision.sh', {
      AZURE_ENV_NAME: 'prod',
      AZURE_SUBSCRIPTION_ID: sub,
      AZURE_RESOURCE_GROUP: 'rg-prod',
      WANT_NAME: 'kv-abc',
      // The stand-in ignores the tag filter; the hook must still pick the one in rg-prod.
      DELETED_VAULTS: [
        `kv-zzz ${vaultId('rg-other', 'kv-zzz')}`,
        `kv-abc ${vaultId('RG-PROD', 'kv-abc')}`,
      ].join('\n'),
    });
    expect(r.code).toBe(0);
    expect(r.calls.some((c) => c.includes("[?name=='kv-abc']"))).toBe(true);
    expect(modeSet(r.calls)).toEqual(['recover']);
  });
});
