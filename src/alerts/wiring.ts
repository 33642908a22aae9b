// Builds the alert area's dependencies from the app's services: the Key Vault secret store and
// listing, the `alerts` dedupe table, and the connection, job and run stores the check reads. The
// one place that knows which concrete piece stands behind each interface in ./deps.ts.
import { resolveEndpoints } from '../config/clouds';
import type { Services } from '../app/services';
import { KeyVaultSecretStore, type SecretStore } from '../secrets/secretStore';
import { credentialConfig } from '../config/credentialSettings';
import { KeyVaultCertificateStore } from '../secrets/certificateStore';
import { CREDENTIAL_HEALTH_TABLE, TableCredentialHealthStore } from '../store/credentialHealth';
import type { CredentialCheckDeps } from './credentialCheck';
import { CONNECTIONS_TABLE, ConnectionStore } from '../store/connections';
import { JOBS_TABLE, JobStore } from '../store/jobs';
import { RUN_FILES_TABLE, RUN_PROGRESS_TABLE, RUNS_TABLE, RunStore } from '../store/runs';
import { ALERTS_TABLE, TableAlertStateStore } from './alertState';
import { GraphAppRegistrationReader } from './appRegistration';
import type { AlertDeps, SecretExpirySource } from './deps';
import { vaultNameOf } from './eventGrid';
import { AlertNotifier, type HttpPost } from './notifier';
import { KeyVaultSecretLister } from './keyVaultListing';
import type { Resolver, WebhookNetworkPolicy } from './webhookAddress';
import { WebhookRegistry } from './webhooks';

/** Consecutive failed runs after which a job is reported. */
export const FAILING_RUNS_THRESHOLD = 3;

/**
 * The secret's attributes through the shared secret store. It reads the value too (the store has
 * no properties-only read); the value is dropped here and the store has already registered it with
 * the log masker.
 */
export function expirySourceFrom(store: Pick<SecretStore, 'getSecret'>): SecretExpirySource {
  return {
    getSecretProperties: async (name) => {
      const secret = await store.getSecret(name);
      return secret && { version: secret.version, expiresOn: secret.expiresOn, enabled: true };
    },
  };
}

export interface AlertWiringOptions {
  now?: () => Date;
  post?: HttpPost;
  /** DNS for webhook hosts (tests); the system resolver otherwise. */
  resolve?: Resolver;
  /** Other table names (tests sharing one Azurite). */
  tables?: Partial<Record<'alerts' | 'connections' | 'jobs' | 'runs' | 'progress' | 'files', string>>;
  /** The certificate store and health table (tests share the auth area's). */
  credential?: Partial<Pick<CredentialCheckDeps, 'certificates' | 'health'>>;
}

export async function createAlertDeps(
  services: Services,
  options: AlertWiringOptions = {},
): Promise<AlertDeps> {
  const { config } = services;
  const now = options.now ?? (() => new Date());
  const log = services.log.child({ area: 'alerts' });
  const vault = {
    keyVaultUrl: config.keyVaultUrl,
    keyVaultTokenOverride: config.keyVaultTokenOverride,
    managedIdentityClientId: config.managedIdentityClientId,
  };
  const secrets = new KeyVaultSecretStore(vault);
  // Loopback webhooks (and plain http to them) only against the emulators.
  const network: WebhookNetworkPolicy = { allowLoopback: config.mode === 'local', resolve: options.resolve };
  const webhooks = new WebhookRegistry(secrets, new KeyVaultSecretLister(vault), network);
  const [alerts, connections, jobs, runs, progress, files] = await Promise.all(
    [
      options.tables?.alerts ?? ALERTS_TABLE,
      options.tables?.connections ?? CONNECTIONS_TABLE,
      options.tables?.jobs ?? JOBS_TABLE,
      options.tables?.runs ?? RUNS_TABLE,
      options.tables?.progress ?? RUN_PROGRESS_TABLE,
      options.tables?.files ?? RUN_FILES_TABLE,
    ].map((t) => services.table(t)),
  );
  // The app registration is read only against real Azure: the emulators have no directory, and a
  // developer's credential chain would only slow every `secret set` down.
  const readsDirectory = config.mode === 'azure' && config.backends.graph === 'real';
  const endpoints = resolveEndpoints(config.graphCloud);
  const credentialSettings = credentialConfig(config.settings);
  // Always built (it costs no request until used): `cli certificate` prints the certificate for
  // upload before CLIENT_CREDENTIAL is switched to it.
  const credential: CredentialCheckDeps = {
    kind: credentialSettings.kind,
    certificateName: credentialSettings.certificateName,
    clientId: config.graphClientId,
    certificates: options.credential?.certificates ?? new KeyVaultCertificateStore(vault),
    health:
      options.credential?.health ??
      new TableCredentialHealthStore(await services.table(CREDENTIAL_HEALTH_TABLE)),
  };
  return {
    credential,
    secretName: config.clientSecretName,
    vaultName: vaultNameOf(config.keyVaultUrl),
    thresholdsDays: config.secretExpiryThresholdsDays,
    failingRunsThreshold: FAILING_RUNS_THRESHOLD,
    secrets: expirySourceFrom(secrets),
    connections: new ConnectionStore(connections),
    jobs: new JobStore(jobs),
    runs: new RunStore({ runs, progress, files }, now),
    state: new TableAlertStateStore(alerts),
    notifier: new AlertNotifier({ log, webhooks, network, post: options.post, now }),
    log,
    now,
    webhooks,
    secretSet: {
      secretName: config.clientSecretName,
      secrets,
      now,
      appRegistration: readsDirectory
        ? {
            appId: config.graphClientId,
            reader: new GraphAppRegistrationReader({
              graphBaseUrl: endpoints.graphBaseUrl,
              graphResource: endpoints.graphResource,
              credential: services.credential(),
              log,
            }),
          }
        : undefined,
    },
  };
}
