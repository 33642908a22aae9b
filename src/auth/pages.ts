// The HTML result pages of the sign-in flow. Every value shown is HTML-escaped; nothing from the
// query string is echoed except through escape(), and codes or tokens are never passed in.
import { htmlResult, type HttpResult } from '../http/types';
import type { Advice } from './advice';

export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const STYLE =
  'body{font-family:system-ui,sans-serif;max-width:42rem;margin:3rem auto;padding:0 1rem;line-height:1.5;color:#1b1b1b}' +
  'h1{font-size:1.5rem}.ok{color:#107c10}.bad{color:#a4262c}dt{font-weight:600}dd{margin:0 0 .5rem 0}' +
  'code{background:#f3f2f1;padding:0 .25rem}.fix{background:#fff4ce;padding:.75rem;border-radius:.25rem}';

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

export interface SuccessDetails {
  connectionName: string;
  accountName?: string;
  accountUpn?: string;
  driveName?: string;
  driveType?: string;
  rootFolder: string;
  warning?: string;
}

export function successPage(details: SuccessDetails): HttpResult {
  const rows: Array<[string, string | undefined]> = [
    ['Connection', details.connectionName],
    [
      'Account',
      [details.accountName, details.accountUpn && `(${details.accountUpn})`].filter(Boolean).join(' '),
    ],
    ['Drive', [details.driveName, details.driveType && `(${details.driveType})`].filter(Boolean).join(' ')],
    ['Backups go to', details.rootFolder],
  ];
  const list = rows
    .filter(([, v]) => v)
    .map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`)
    .join('');
  const warning = details.warning ? `<p class="fix">${escapeHtml(details.warning)}</p>` : '';
  return htmlResult(
    200,
    page(
      'Connected',
      `<h1 class="ok">Connected</h1><p>The backup service can now write to this OneDrive on your behalf.</p><dl>${list}</dl>${warning}` +
        '<h2>What next</h2><ol><li>Back in the setup page, choose <strong>Test</strong> on this connection: it checks the drive, the folder and a test write.</li>' +
        '<li>Create a backup job that uses this connection, or run an existing one now.</li></ol><p>You can close this tab.</p>',
    ),
  );
}

export function failurePage(
  status: number,
  advice: Advice,
  extra: { traceId?: string; correlationId?: string } = {},
): HttpResult {
  const ids = [
    `<dt>Code</dt><dd><code>${escapeHtml(advice.code)}</code></dd>`,
    extra.traceId ? `<dt>Trace ID</dt><dd><code>${escapeHtml(extra.traceId)}</code></dd>` : '',
    extra.correlationId
      ? `<dt>Correlation ID</dt><dd><code>${escapeHtml(extra.correlationId)}</code></dd>`
      : '',
  ].join('');
  return htmlResult(
    status,
    page(
      advice.title,
      `<h1 class="bad">${escapeHtml(advice.title)}</h1><p>${escapeHtml(advice.explanation)}</p>` +
        `<h2>How to fix it</h2><p class="fix">${escapeHtml(advice.fix)}</p><dl>${ids}</dl>`,
    ),
  );
}
