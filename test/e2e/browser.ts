// Headless Chromium for the browser tests: Debian's package at /usr/bin/chromium, driven by
// playwright-core with its executable path (no browser download). Without it the tests are skipped
// locally with the fix, and fail in CI, where a skipped browser test would hide a broken page.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS_DIR = path.resolve(__dirname, '../../test-artifacts/setup-page');

export type BrowserAvailability = { available: true } | { available: false; reason: string };

export function browserAvailability(): BrowserAvailability {
  if (existsSync(CHROMIUM_PATH)) return { available: true };
  const reason = `Chromium is not installed at ${CHROMIUM_PATH}; run .ci/setup-browser to install it.`;
  if (process.env.CI === 'true') throw new Error(reason);
  return { available: false, reason };
}

export interface BrowserSession {
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * A browser with a fresh profile. `ignoreHTTPSErrors` is for the identity emulator only: its
 * authorize page is HTTPS with the local test CA, which Chromium (unlike Node) does not trust.
 */
export async function launchBrowser(): Promise<BrowserSession> {
  const profile = mkdtempSync(path.join(tmpdir(), 'aob-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    ignoreHTTPSErrors: true,
    viewport: { width: 1100, height: 900 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export function screenshotPath(name: string): string {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  return path.join(ARTIFACTS_DIR, `${name}.png`);
}
