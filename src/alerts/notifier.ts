// Where an alert goes. Always a structured log line (the deployed alert rules count its `event` and
// email through the action group), then every configured webhook. A webhook that fails is logged by
// name and status, never by URL, and never fails the check: the log line is already written.
//
// Custom metrics: a log line with event `metric` and fields {name, value} (plus dimensions). The
// Functions host ships every log line to Application Insights as a trace, where
// `traces | where parse_json(message).event == 'metric'` charts it; no metrics SDK is needed.
import type { Logger } from '../log/logger';
import type { Severity } from './expiry';
import { webhookPayload } from './formats';
import type { Alert } from './messages';
import { STRICT_WEBHOOK_POLICY, webhookPost, type WebhookNetworkPolicy } from './webhookAddress';
import type { WebhookTarget, WebhookTargets } from './webhooks';

export interface Notifier {
  notify(alert: Alert): Promise<void>;
}

/** Posts a JSON body; resolves with the status, rejects on network errors or the timeout. */
export type HttpPost = (url: string, body: string, timeoutMs: number) => Promise<{ status: number }>;

export function emitMetric(
  log: Logger,
  name: string,
  value: number,
  dimensions: Record<string, string | number | undefined> = {},
): void {
  log.info('metric', { ...dimensions, name, value });
}

const LEVEL: Record<Severity, 'info' | 'warn' | 'error'> = {
  info: 'info',
  warning: 'warn',
  error: 'error',
  critical: 'error',
};

export interface AlertNotifierOptions {
  log: Logger;
  webhooks?: WebhookTargets;
  /** Where webhooks may point; strict (no loopback) unless local mode says otherwise. */
  network?: WebhookNetworkPolicy;
  /** Replaces the address-checking post (./webhookAddress.ts); tests only. */
  post?: HttpPost;
  now?: () => Date;
  timeoutMs?: number;
}

export class AlertNotifier implements Notifier {
  private readonly post: HttpPost;
  private readonly now: () => Date;

  constructor(private readonly options: AlertNotifierOptions) {
    this.post = options.post ?? webhookPost(options.network ?? STRICT_WEBHOOK_POLICY);
    this.now = options.now ?? (() => new Date());
  }

  async notify(alert: Alert): Promise<void> {
    const { log } = this.options;
    log[LEVEL[alert.severity]](alert.event, {
      ...alert.fields,
      severity: alert.severity,
      title: alert.title,
    });
    emitMetric(log, alert.event, 1, { severity: alert.severity });
    let targets: WebhookTarget[];
    try {
      targets = (await this.options.webhooks?.targets()) ?? [];
    } catch (error) {
      log.warn('alert.webhook.list_failed', { errorCode: (error as { code?: string })?.code });
      return;
    }
    await Promise.all(targets.map((target) => this.send(target, alert)));
  }

  private async send(target: WebhookTarget, alert: Alert): Promise<void> {
    const { log } = this.options;
    const body = JSON.stringify(webhookPayload(target.format, alert, this.now()));
    try {
      const { status } = await this.post(target.url, body, this.options.timeoutMs ?? 10_000);
      if (status >= 200 && status < 300)
        log.info('alert.webhook.sent', { webhook: target.name, format: target.format, status });
      else log.warn('alert.webhook.failed', { webhook: target.name, format: target.format, status });
    } catch (error) {
      // Only the error's name: a fetch error's message or cause can carry the URL.
      const name = (error as { name?: string })?.name ?? 'Error';
      log.warn('alert.webhook.failed', { webhook: target.name, format: target.format, error: name });
    }
  }
}
