// Key Vault events: which ones are ours, and that they alert through the same path as the daily check.
import type { EventGridEvent } from '../../../src/app/types';
import { checkClientSecret } from '../../../src/alerts/check';
import type { AlertDeps } from '../../../src/alerts/deps';
import { decideKeyVaultEvent, vaultNameOf } from '../../../src/alerts/eventGrid';
import { handleKeyVaultEvent } from '../../../src/alerts/functions';
import { isAppError } from '../../../src/errors';
import { createLogger } from '../../../src/log/logger';
import { EXPIRY, Harness, silenceLogs } from './fixtures';

silenceLogs();

describe('Key Vault events', () => {
  const ours = { vaultName: 'my-vault', secretName: 'graph-client-secret' };
  const event = (data: unknown, eventType = 'Microsoft.KeyVault.SecretNearExpiry'): EventGridEvent => ({
    id: 'e1',
    subject: 'graph-client-secret',
    eventType,
    eventTime: '2027-04-01T00:00:00Z',
    data,
  });
  const data = (overrides: Record<string, unknown> = {}) => ({
    Id: 'https://my-vault.vault.azure.net/secrets/graph-client-secret/v1',
    VaultName: 'my-vault',
    ObjectType: 'Secret',
    ObjectName: 'graph-client-secret',
    Version: 'v1',
    NBF: 1_700_000_000,
    EXP: EXPIRY.getTime() / 1000,
    ...overrides,
  });

  it('takes the vault name from KEY_VAULT_URL', () => {
    expect(vaultNameOf('https://My-Vault.vault.azure.net/')).toBe('my-vault');
  });

  it('accepts ours, in Key Vault casing and in the documentation samples casing', () => {
    expect(decideKeyVaultEvent(event(data()), ours)).toMatchObject({
      action: 'notify',
      event: { version: 'v1', expiresOn: EXPIRY },
    });
    const camel = {
      vaultName: 'MY-VAULT',
      objectType: 'Secret',
      'objectName ': 'graph-client-secret',
      version: 'v1',
      exp: String(EXPIRY.getTime() / 1000),
    };
    expect(decideKeyVaultEvent(event(camel, 'Microsoft.KeyVault.SecretExpired'), ours)).toMatchObject({
      action: 'notify',
    });
  });

  it('ignores other vaults, other secrets, other object and event types', () => {
    expect(decideKeyVaultEvent(event(data({ VaultName: 'other-vault' })), ours)).toMatchObject({
      action: 'ignore',
    });
    expect(decideKeyVaultEvent(event(data({ ObjectName: 'conn-1-refresh-token' })), ours)).toMatchObject({
      action: 'ignore',
    });
    expect(decideKeyVaultEvent(event(data({ ObjectType: 'Key' })), ours)).toMatchObject({ action: 'ignore' });
    expect(
      decideKeyVaultEvent(event(data(), 'Microsoft.KeyVault.SecretNewVersionCreated'), ours),
    ).toMatchObject({
      action: 'ignore',
    });
  });

  it.each([
    ['no data', undefined],
    ['data not an object', 'text'],
    ['no vault name', { ObjectName: 'graph-client-secret' }],
    ['no object name', { VaultName: 'my-vault' }],
    [
      'an expiry that is not a time',
      { VaultName: 'my-vault', ObjectName: 'graph-client-secret', EXP: 'soon' },
    ],
  ])('rejects a malformed event (%s)', (_label, payload) => {
    let thrown: unknown;
    try {
      decideKeyVaultEvent(event(payload), ours);
    } catch (error) {
      thrown = error;
    }
    expect(isAppError(thrown, 'MessageInvalid')).toBe(true);
  });

  it('notifies through the same path and dedupe as the daily check', async () => {
    const h = new Harness();
    h.advanceDays(11); // 29 days left
    const deps = { ...h.deps, vaultName: 'my-vault' } as unknown as AlertDeps;
    const lines: string[] = [];
    const log = {
      ...createLogger(),
      debug: (e: string) => void lines.push(`debug ${e}`),
      warn: (e: string) => void lines.push(`warn ${e}`),
      info: (e: string) => void lines.push(`info ${e}`),
    };
    await handleKeyVaultEvent(deps, event(data({ VaultName: 'other' })), { log: log as never });
    expect(h.alerts).toHaveLength(0);
    expect(lines).toContain('debug secret.event.ignored');
    await handleKeyVaultEvent(deps, event(data()), { log: log as never });
    expect(h.alerts).toHaveLength(1);
    expect(h.alerts[0].fields).toMatchObject({ source: 'event', threshold: 30 });
    await checkClientSecret(h.deps); // the timer the same day: already said
    expect(h.alerts).toHaveLength(1);
    await expect(handleKeyVaultEvent(deps, event({}), { log: log as never })).rejects.toMatchObject({
      code: 'MessageInvalid',
    });
    expect(lines).toContain('warn secret.event.rejected');
  });

  it("falls back to the event's own attributes when the vault cannot be read", async () => {
    const h = new Harness();
    h.advanceDays(38); // 2 days left
    h.deps.secrets = { getSecretProperties: async () => Promise.reject(new Error('vault down')) };
    await handleKeyVaultEvent({ ...h.deps, vaultName: 'my-vault' } as unknown as AlertDeps, event(data()), {
      log: createLogger(),
    });
    expect(h.alerts.map((a) => a.fields.threshold)).toEqual([3]);
  });
});
