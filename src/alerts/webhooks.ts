// Webhook destinations for alerts. A webhook URL is a credential (anyone holding it can post into the
// channel), so it lives in Key Vault as the secret `alert-webhook-<name>`, with its format in the
// `format` tag; the list shows names and formats only, never a URL. Values read here are registered
// with the log masker, so a URL can never reach a log line even through an error message.
import { AppError, validationError } from '../errors';
import { registerSecret } from '../log/logger';
import type { SecretStore } from '../secrets/secretStore';
import { isWebhookFormat, WEBHOOK_FORMATS, type WebhookFormat } from './formats';
import {
  checkWebhookHost,
  checkWebhookUrl,
  STRICT_WEBHOOK_POLICY,
  type WebhookNetworkPolicy,
} from './webhookAddress';

export const WEBHOOK_SECRET_PREFIX = 'alert-webhook-';
export const WEBHOOK_CONTENT_TYPE = 'alert-webhook';
const NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;

/** A secret's properties as a listing returns them: never its value. */
export interface SecretListing {
  name: string;
  enabled: boolean;
  contentType?: string;
  tags?: Record<string, string>;
}

/** Lists the vault's secrets (properties only). Implemented over SecretClient in ./keyVaultListing.ts. */
export interface SecretLister {
  listSecrets(): Promise<SecretListing[]>;
}

export interface WebhookInfo {
  name: string;
  format: WebhookFormat;
}

export interface WebhookTarget extends WebhookInfo {
  url: string;
}

/** What the notifier needs: the destinations, with URLs, at the moment of sending. */
export interface WebhookTargets {
  targets(): Promise<WebhookTarget[]>;
}

export function webhookSecretName(name: string): string {
  if (!NAME.test(name)) throw validationError('name', 'lowercase letters, digits and hyphens (1-40)');
  return `${WEBHOOK_SECRET_PREFIX}${name}`;
}

export class WebhookRegistry implements WebhookTargets {
  constructor(
    private readonly secrets: Pick<SecretStore, 'getSecret' | 'setSecret' | 'deleteSecret'>,
    private readonly lister: SecretLister,
    /** Where a webhook may point (./webhookAddress.ts); loopback only in local mode. */
    private readonly network: WebhookNetworkPolicy = STRICT_WEBHOOK_POLICY,
  ) {}

  async list(): Promise<WebhookInfo[]> {
    const listed = await this.lister.listSecrets();
    return listed
      .filter((s) => s.enabled && s.name.startsWith(WEBHOOK_SECRET_PREFIX))
      .map((s) => ({
        name: s.name.slice(WEBHOOK_SECRET_PREFIX.length),
        // A secret created by hand without the tag is sent our own JSON.
        format: isWebhookFormat(s.tags?.format) ? s.tags.format : 'json',
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async add(name: unknown, url: unknown, format: unknown): Promise<WebhookInfo> {
    if (typeof name !== 'string') throw validationError('name', 'required');
    const secretName = webhookSecretName(name);
    if (!isWebhookFormat(format)) throw validationError('format', `one of ${WEBHOOK_FORMATS.join(', ')}`);
    const checked = checkWebhookUrl(url, this.network);
    await checkWebhookHost(checked, this.network);
    registerSecret(checked);
    try {
      await this.secrets.setSecret(secretName, checked, {
        contentType: WEBHOOK_CONTENT_TYPE,
        tags: { format },
      });
    } catch (error) {
      // With soft delete and purge protection a removed name stays reserved until its retention ends.
      if (error instanceof AppError && /HTTP 409/.test(error.message))
        throw new AppError(
          'Conflict',
          `The webhook name '${name}' was removed recently and is still reserved`,
          {
            field: 'name',
            advice: 'Choose another name (Key Vault keeps deleted secrets for their retention period).',
          },
        );
      throw error;
    }
    return { name, format };
  }

  async remove(name: string): Promise<boolean> {
    return this.secrets.deleteSecret(webhookSecretName(name));
  }

  async targets(): Promise<WebhookTarget[]> {
    const out: WebhookTarget[] = [];
    for (const info of await this.list()) {
      const secret = await this.secrets.getSecret(`${WEBHOOK_SECRET_PREFIX}${info.name}`);
      if (!secret?.value) continue;
      registerSecret(secret.value);
      out.push({ ...info, url: secret.value });
    }
    return out;
  }
}

/** A lister over the in-memory secret store (unit tests and tools). */
export function memoryLister(store: {
  versions: Map<string, Array<{ contentType?: string; tags?: Record<string, string> }>>;
}): SecretLister {
  return {
    listSecrets: async () =>
      [...store.versions.entries()]
        .filter(([, versions]) => versions.length > 0)
        .map(([name, versions]) => {
          const latest = versions[versions.length - 1];
          return { name, enabled: true, contentType: latest.contentType, tags: latest.tags };
        }),
  };
}
