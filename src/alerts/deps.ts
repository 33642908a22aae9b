// The small interfaces the alert checks read through, so tests can pass in-memory fakes and
// ./wiring.ts can pass the real stores (ConnectionStore, JobStore, RunStore fit them as they are).
import type { Logger } from '../log/logger';
import type { AlertStateStore } from './alertState';
import type { CredentialCheckDeps } from './credentialCheck';
import type { Notifier } from './notifier';
import type { SecretSetDeps } from './secretSet';
import type { WebhookRegistry } from './webhooks';

/** The client secret's attributes, never its value. */
export interface SecretProperties {
  version: string;
  expiresOn?: Date;
  enabled: boolean;
}

export interface SecretExpirySource {
  /** The latest version's attributes, or undefined when no such secret exists. */
  getSecretProperties(name: string): Promise<SecretProperties | undefined>;
}

export interface ConnectionSummary {
  id: string;
  name: string;
  status: string;
  statusCode?: string;
  statusReason?: string;
  advice?: string;
}

export interface ConnectionLister {
  list(): Promise<ConnectionSummary[]>;
}

export interface JobSummary {
  id: string;
  name: string;
  enabled: boolean;
}

export interface JobLister {
  list(): Promise<JobSummary[]>;
}

export interface RunSummary {
  id: string;
  status: string;
  endedAt?: string;
  error?: string;
  /** The drive's quota as the run saw it (state normal, nearing, critical or exceeded). */
  quota?: { state: string; total?: number; remaining?: number; neededBytes?: number; checkedAt: string };
}

export interface RunLister {
  /** A job's runs, newest first. */
  listForJob(jobId: string, limit?: number): Promise<RunSummary[]>;
}

export interface AlertCheckDeps {
  /** CLIENT_SECRET_NAME */
  secretName: string;
  /** SECRET_EXPIRY_THRESHOLDS_DAYS */
  thresholdsDays: readonly number[];
  /** A job is reported when this many of its latest finished runs failed in a row. */
  failingRunsThreshold: number;
  secrets: SecretExpirySource;
  /** Optional so the secret check works before the stores exist (and in tests of it alone). */
  connections?: ConnectionLister;
  jobs?: JobLister;
  runs?: RunLister;
  state: AlertStateStore;
  notifier: Notifier;
  log: Logger;
  now: () => Date;
  /** The app's credential when it is a certificate or federation (the secret check covers `secret`). */
  credential?: CredentialCheckDeps;
}

/** Everything the alert functions use: the check's dependencies plus the admin operations'. */
export interface AlertDeps extends AlertCheckDeps {
  /** Our vault's name (first label of KEY_VAULT_URL's host), to recognise Key Vault's events. */
  vaultName: string;
  secretSet: SecretSetDeps;
  webhooks: Pick<WebhookRegistry, 'list' | 'add' | 'remove'>;
}
