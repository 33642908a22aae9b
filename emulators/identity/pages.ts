// HTML the authorize endpoint renders: Entra's error page and an account picker with consent
// buttons. Self-contained (no scripts except form_post's auto-submit, no external resources) so a
// headless browser test can drive it through labelled controls.
import type { AppRegistration, User } from './directory';

export const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const shell = (title: string, body: string) =>
  `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body>${body}</body></html>`;

export interface ErrorPageInput {
  code: number;
  message: string;
  traceId: string;
  correlationId: string;
  timestamp: string;
}

export function errorPage(e: ErrorPageInput): string {
  return shell(
    'Sign in to your account',
    `<main><h1>Sign in</h1><p role="alert">Sorry, but we’re having trouble signing you in.</p>` +
      `<p id="error-message">AADSTS${e.code}: ${escapeHtml(e.message)}</p>` +
      `<dl><dt>Request Id</dt><dd>${e.traceId}</dd><dt>Correlation Id</dt><dd>${e.correlationId}</dd>` +
      `<dt>Timestamp</dt><dd>${e.timestamp}</dd><dt>Message</dt><dd>AADSTS${e.code}: ${escapeHtml(e.message)}</dd></dl></main>`,
  );
}

export interface ConsentPageInput {
  app: AppRegistration;
  users: User[];
  permissions: string[];
  action: string;
  requestId: string;
  selectedOid?: string;
}

export function consentPage(p: ConsentPageInput): string {
  const accounts = p.users
    .map((u, i) => {
      const id = `account-${i}`;
      const checked = (p.selectedOid ? u.oid === p.selectedOid : i === 0) ? ' checked' : '';
      const kind = u.accountType === 'personal' ? 'Personal account' : 'Work or school account';
      return `<li><input type="radio" id="${id}" name="user" value="${escapeHtml(u.oid)}"${checked}> <label for="${id}">${escapeHtml(u.displayName)} (${escapeHtml(u.upn)}) – ${kind}</label></li>`;
    })
    .join('');
  const permissions = p.permissions.map((s) => `<li>${escapeHtml(s)}</li>`).join('');
  return shell(
    'Permissions requested',
    `<main><h1>Permissions requested</h1><p><strong>${escapeHtml(p.app.displayName ?? p.app.clientId)}</strong> would like to:</p>` +
      `<ul id="permissions">${permissions}</ul>` +
      `<form method="post" action="${escapeHtml(p.action)}"><fieldset><legend>Pick an account</legend><ul>${accounts}</ul></fieldset>` +
      `<input type="hidden" name="request" value="${escapeHtml(p.requestId)}">` +
      `<button type="submit" name="decision" value="accept">Accept</button> ` +
      `<button type="submit" name="decision" value="cancel">Cancel</button></form></main>`,
  );
}

/** response_mode=form_post: the browser posts the result to the redirect URI. */
export function formPostPage(action: string, fields: Record<string, string>): string {
  const inputs = Object.entries(fields)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join('');
  return shell(
    'Working...',
    `<form method="post" action="${escapeHtml(action)}">${inputs}<noscript><button type="submit">Continue</button></noscript></form>` +
      `<script>document.forms[0].submit()</script>`,
  );
}
