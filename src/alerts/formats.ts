// The payload each webhook format expects, built from one Alert.
// - json:  our own shape, for scripts and automation (Logic Apps, Power Automate, ntfy, ...).
// - teams: an Adaptive Card wrapped in a message activity, the shape both the classic Teams
//          "Incoming Webhook" connector and the Workflows "When a Teams webhook request is received"
//          trigger accept (the legacy MessageCard is retired along with Office 365 connectors).
// - slack: an incoming-webhook message: `text` (the notification fallback) plus Block Kit blocks.
import type { Alert } from './messages';
import { alertText } from './messages';

export const WEBHOOK_FORMATS = ['json', 'teams', 'slack'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

export function isWebhookFormat(value: unknown): value is WebhookFormat {
  return typeof value === 'string' && (WEBHOOK_FORMATS as readonly string[]).includes(value);
}

export function jsonPayload(alert: Alert, now: Date): Record<string, unknown> {
  return {
    source: 'azure-onedrive-backup',
    event: alert.event,
    severity: alert.severity,
    time: now.toISOString(),
    title: alert.title,
    impact: alert.impact,
    steps: alert.steps,
    text: alertText(alert),
    facts: alert.facts,
    fields: alert.fields,
  };
}

const TEAMS_COLOR: Record<Alert['severity'], string> = {
  info: 'Accent',
  warning: 'Warning',
  error: 'Attention',
  critical: 'Attention',
};

export function teamsPayload(alert: Alert): Record<string, unknown> {
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          msteams: { width: 'Full' },
          body: [
            {
              type: 'TextBlock',
              text: alert.title,
              weight: 'Bolder',
              size: 'Medium',
              color: TEAMS_COLOR[alert.severity],
              wrap: true,
            },
            { type: 'TextBlock', text: alert.impact, wrap: true },
            { type: 'FactSet', facts: alert.facts.map((f) => ({ title: f.name, value: f.value })) },
            { type: 'TextBlock', text: 'What to do', weight: 'Bolder', wrap: true },
            ...alert.steps.map((step, i) => ({ type: 'TextBlock', text: `${i + 1}. ${step}`, wrap: true })),
          ],
        },
      },
    ],
  };
}

/** Slack reads `&`, `<` and `>` as markup (`<!channel>` pings everyone): escape them in our text. */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const SLACK_EMOJI: Record<Alert['severity'], string> = {
  info: ':information_source:',
  warning: ':warning:',
  error: ':red_circle:',
  critical: ':rotating_light:',
};

export function slackPayload(alert: Alert): Record<string, unknown> {
  const clip = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);
  return {
    text: slackEscape(`${alert.title}. ${alert.impact}`),
    blocks: [
      // Header text is plain_text and at most 150 characters.
      { type: 'header', text: { type: 'plain_text', text: clip(alert.title, 150), emoji: true } },
      {
        type: 'section',
        text: { type: 'mrkdwn', text: `${SLACK_EMOJI[alert.severity]} ${slackEscape(alert.impact)}` },
      },
      {
        type: 'section',
        // A section holds at most 10 fields.
        fields: alert.facts.slice(0, 10).map((f) => ({
          type: 'mrkdwn',
          text: `*${slackEscape(f.name)}*\n${slackEscape(f.value)}`,
        })),
      },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: clip(
            `*What to do*\n${alert.steps.map((s, i) => `${i + 1}. ${slackEscape(s)}`).join('\n')}`,
            3000,
          ),
        },
      },
    ],
  };
}

export function webhookPayload(format: WebhookFormat, alert: Alert, now: Date): Record<string, unknown> {
  switch (format) {
    case 'json':
      return jsonPayload(alert, now);
    case 'teams':
      return teamsPayload(alert);
    case 'slack':
      return slackPayload(alert);
  }
}
