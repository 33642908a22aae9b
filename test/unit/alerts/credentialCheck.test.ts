// The daily check for a certificate credential: the days left of the version Microsoft last accepted
// (the one the app registration trusts), at the secret's thresholds, each said once; a renewed
// version not accepted yet, said once per version; the client secret is not checked then (it may not
// exist). Federation: nothing expires, nothing is said.
import { runAlertCheck } from '../../../src/alerts/check';
import type { CertificateVersion } from '../../../src/secrets/certificateStore';
import { MemoryCredentialHealthStore } from '../../../src/store/credentialHealth';
import { DAY, EXPIRY, Harness, silenceLogs } from './fixtures';

silenceLogs();

function version(v: string, expiresOn: Date, createdOn: Date): CertificateVersion {
  return {
    name: 'cert',
    version: v,
    enabled: true,
    createdOn,
    expiresOn,
    cer: Buffer.from(v),
    keyId: `https://vault/keys/cert/${v}`,
    thumbprint: `THUMB-${v}`,
  };
}

function certificateHarness() {
  const h = new Harness();
  const health = new MemoryCredentialHealthStore();
  let versions: CertificateVersion[] = [version('v1', EXPIRY, new Date(EXPIRY.getTime() - 365 * DAY))];
  h.secret = undefined; // no client secret at all: the certificate replaces it
  h.deps.credential = {
    kind: 'certificate',
    certificateName: 'cert',
    certificates: { versions: async () => versions },
    health,
  };
  return { h, health, setVersions: (v: CertificateVersion[]) => (versions = v) };
}

describe('daily check with a certificate credential', () => {
  it('warns at each threshold of the trusted version once, and never about a missing secret', async () => {
    const { h, health } = certificateHarness();
    await health.put('cert', { kind: 'certificate', acceptedVersion: 'v1' });
    await runAlertCheck(h.deps);
    expect(h.alerts).toEqual([]);
    h.advanceDays(11); // 29 days left
    const report = await runAlertCheck(h.deps);
    expect(report.credential).toMatchObject({ state: 'due', version: 'v1', daysLeft: 29, accepted: true });
    expect(report.secret).toBeUndefined();
    expect(h.alerts.map((a) => a.title)).toEqual([
      expect.stringMatching(/trusts \('cert', THUMB-v1\) expires on .* \(29 days left\)/),
    ]);
    await runAlertCheck(h.deps);
    expect(h.alerts).toHaveLength(1);
    h.advanceDays(30);
    await runAlertCheck(h.deps);
    expect(h.alerts.at(-1)!.title).toMatch(/EXPIRED/);
  });

  it('warns once when Key Vault renewed the certificate and Microsoft has not accepted the new one', async () => {
    const { h, health, setVersions } = certificateHarness();
    await health.put('cert', { kind: 'certificate', acceptedVersion: 'v1' });
    setVersions([
      version('v2', new Date(EXPIRY.getTime() + 365 * DAY), h.clock),
      version('v1', EXPIRY, new Date(0)),
    ]);
    const report = await runAlertCheck(h.deps);
    expect(report.credential).toMatchObject({
      version: 'v1',
      renewedVersion: 'v2',
      renewedThumbprint: 'THUMB-v2',
    });
    expect(h.alerts.map((a) => a.fields.state)).toEqual(['renewed-not-registered']);
    expect(h.alerts[0].steps.join(' ')).toMatch(/certificate --version v2 --out app.cer/);
    await runAlertCheck(h.deps);
    expect(h.alerts).toHaveLength(1);
    // Once Microsoft accepts v2, v2 is the one whose days count, and nothing more is said.
    await health.put('cert', { kind: 'certificate', acceptedVersion: 'v2' });
    const after = await runAlertCheck(h.deps);
    expect(after.credential).toMatchObject({ version: 'v2', accepted: true, renewedVersion: undefined });
    expect(h.alerts).toHaveLength(1);
  });
});

describe('daily check with federation', () => {
  it('says nothing expires and raises nothing', async () => {
    const h = new Harness();
    h.secret = undefined;
    h.deps.credential = { kind: 'federated', certificateName: 'unused', clientId: 'app' };
    const report = await runAlertCheck(h.deps);
    expect(report.credential).toMatchObject({ kind: 'federated', state: 'federated' });
    expect(h.alerts).toEqual([]);
  });
});
