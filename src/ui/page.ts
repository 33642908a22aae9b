// GET api/ui: the setup page, one self-contained document. It holds no data (that comes from the
// admin API with the function key the person enters), loads nothing from elsewhere, and its
// Content-Security-Policy allows exactly its own inline script and style by their SHA-256 hashes.
import { createHash } from 'node:crypto';
import type { HttpResult } from '../http/types';
import { loadClientScript } from './clientScript';
import { BODY } from './markup';
import { STYLES } from './styles';

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

export interface SetupPage {
  html: string;
  contentSecurityPolicy: string;
}

/** The document around the bundled script, and the policy that allows exactly that script. */
export function buildSetupPage(clientScript: string): SetupPage {
  // The script is inlined as it is: a closing tag inside it would end it early and run the rest
  // as markup, and its hash would no longer match what the browser sees.
  if (/<\/script/i.test(clientScript)) throw new Error("The setup page's script contains </script.");
  const html =
    '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width,initial-scale=1">' +
    '<title>Backup setup</title>' +
    `<style>${STYLES}</style></head><body>${BODY}<script>${clientScript}</script></body></html>`;
  const contentSecurityPolicy = [
    "default-src 'none'",
    `script-src ${sha256(clientScript)}`,
    `style-src ${sha256(STYLES)}`,
    // The admin API is on the same origin; nothing else is ever fetched.
    "connect-src 'self'",
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, contentSecurityPolicy };
}

// Built once per process (the parts do not change while it runs); a failed build is tried again.
let cached: Promise<SetupPage> | undefined;

function setupPage(): Promise<SetupPage> {
  cached ??= loadClientScript()
    .then(buildSetupPage)
    .catch((error: unknown) => {
      cached = undefined;
      throw error;
    });
  return cached;
}

export async function setupPageResult(): Promise<HttpResult> {
  const page = await setupPage();
  return {
    status: 200,
    body: page.html,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': page.contentSecurityPolicy,
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      // The page is static, but a stale copy after an upgrade would call routes that changed.
      'cache-control': 'no-store',
      // The sign-in tab's URL carries the key as ?code=; never let it leak as a referrer.
      'referrer-policy': 'no-referrer',
    },
  };
}
