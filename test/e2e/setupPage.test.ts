// The setup page in headless Chromium against the local host in embedded mode (Azurite and the
// Microsoft emulators): a person's first tour, step by step, with a screenshot of each state in
// test-artifacts/setup-page/. The steps share one page and run in order, as a person would.
import { BlobServiceClient } from '@azure/storage-blob';
import type { Locator, Page } from 'playwright-core';
import { startLocalHost, type LocalHost } from '../../src/local/host';
import { setLogSink, type LogSink } from '../../src/log/logger';
import type { Connection } from '../../src/store/connections';
import { browserAvailability, launchBrowser, screenshotPath, type BrowserSession } from './browser';

const availability = browserAvailability();
if (!availability.available) console.warn(`Skipping the setup page browser tests: ${availability.reason}`);
const describeBrowser = availability.available ? describe : describe.skip;

const CONNECTION_NAME = 'Demo OneDrive';
const JOB_NAME = 'Demo backup';
const FOLDER_NAME = 'Setup page backups';
const RESTORE_CONTAINER = 'demo-restored';
const STEP_TIMEOUT = 60_000;

jest.setTimeout(180_000);

let host: LocalHost;
let session: BrowserSession;
let page: Page;
let previousSink: LogSink;
const pageErrors: string[] = [];

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: screenshotPath(name), fullPage: true });
}

function connectionCard(): Locator {
  return page.locator('#connection-list li.card', { hasText: CONNECTION_NAME });
}
function jobCard(): Locator {
  return page.locator('#job-list li.card', { hasText: JOB_NAME });
}

async function adminGet<T>(path: string): Promise<T> {
  const response = await fetch(`${host.url}/api/${path}`, {
    headers: { 'x-functions-key': host.functionKey },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

/** Waits until the run panel shows a final status; returns it. */
async function finalRunStatus(): Promise<string> {
  const handle = await page.waitForFunction(
    () => {
      const status = document.querySelector('#run-section')?.getAttribute('data-run-status');
      return status && ['succeeded', 'partially-failed', 'failed', 'timed-out'].includes(status)
        ? status
        : false;
    },
    undefined,
    { timeout: STEP_TIMEOUT, polling: 200 },
  );
  return (await handle.jsonValue()) as string;
}

describeBrowser('setup page in headless Chromium', () => {
  beforeAll(async () => {
    // The host's log lines would bury the test output; keep them for a failure's message only.
    previousSink = setLogSink(() => undefined);
    host = await startLocalHost({
      port: 0,
      embedded: true,
      env: {},
      // host.json's 10 s polling would make every step wait; the semantics stay the same.
      queue: { minPollingIntervalMs: 50, maxPollingIntervalMs: 250, retryDelayMs: 0 },
    });
    session = await launchBrowser();
    page = await session.context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      // The refused key and the invalid tenant are provoked on purpose; Chromium logs their responses.
      const provoked = /Failed to load resource: the server responded with a status of (400|401)/;
      if (message.type() === 'error' && !provoked.test(message.text())) pageErrors.push(message.text());
    });
  }, 120_000);

  afterAll(async () => {
    await session?.close();
    await host?.stop();
    setLogSink(previousSink);
  });

  it('serves a self-contained page whose policy allows only its own script and style', async () => {
    const response = await fetch(`${host.url}/api/ui`);
    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'(;|$)/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    const html = await response.text();
    // Nothing is loaded from anywhere else, and the page carries no data of its own.
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!www\.w3\.org)/);
    expect(html).not.toContain(host.functionKey);
  });

  it('asks for the function key and refuses a wrong one with a clear line', async () => {
    await page.goto(`${host.url}/api/ui`);
    await page.getByRole('textbox', { name: 'Function key' }).waitFor();
    await shot('01-key-prompt');
    await page.getByRole('textbox', { name: 'Function key' }).fill('not-the-key');
    await page.getByRole('button', { name: 'Use key' }).click();
    await page.locator('#key-error', { hasText: 'The function key was refused' }).waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
  });

  it('takes the key from ?code= into session storage only, and shows the secret days left', async () => {
    await page.goto(`${host.url}/api/ui?code=${encodeURIComponent(host.functionKey)}`);
    await page.locator('#secret-status', { hasText: /Client secret: \d+ days left/ }).waitFor();
    // The key leaves the address bar at once and never reaches persistent storage.
    expect(new URL(page.url()).search).toBe('');
    const stored = await page.evaluate(() => ({
      session: Object.values(sessionStorage),
      local: Object.keys(localStorage).length,
    }));
    expect(stored).toEqual({ session: [host.functionKey], local: 0 });
    const daysLeft = Number(/(\d+) days left/.exec(await page.locator('#secret-status').innerText())![1]);
    expect(daysLeft).toBeGreaterThan(300); // embedded mode stores a secret that expires in a year
  });

  it('shows an API error with its field and rule', async () => {
    await page.getByText('Add a connection').click();
    const form = page.locator('#connection-form');
    await form.getByLabel('Name', { exact: true }).fill('Bad tenant');
    await form.getByLabel(/^Tenant/).fill('not a tenant!');
    await page.getByRole('button', { name: 'Add connection' }).click();
    await page.locator('#connection-form-error', { hasText: 'tenant' }).waitFor();
    await shot('02-api-error');
  });

  it('adds a connection, shown as New, with data inserted as text only', async () => {
    const form = page.locator('#connection-form');
    await form.getByLabel(/^Tenant/).fill('common');
    await form.getByLabel('Name', { exact: true }).fill(CONNECTION_NAME);
    await form.getByLabel('Drive type').selectOption('personal');
    await page.getByRole('button', { name: 'Add connection' }).click();
    await connectionCard().locator('.chip', { hasText: 'New' }).waitFor();

    // A name that is markup stays text: no element is created from it.
    const hostile = '<img src=x id=injected>';
    const created = await fetch(`${host.url}/api/connections`, {
      method: 'POST',
      headers: { 'x-functions-key': host.functionKey, 'content-type': 'application/json' },
      body: JSON.stringify({ name: hostile }),
    });
    expect(created.status).toBe(201);
    await page.reload();
    await page.locator('#connection-list li.card strong', { hasText: hostile }).waitFor();
    expect(await page.locator('#injected').count()).toBe(0);
    await fetch(`${host.url}/api/connections/${((await created.json()) as { id: string }).id}`, {
      method: 'DELETE',
      headers: { 'x-functions-key': host.functionKey },
    });
    await page.reload();
    await connectionCard().waitFor();
    await page.locator('#connection-list li.card', { hasText: hostile }).waitFor({ state: 'detached' });
    await shot('03-connection-new');
  });

  it('authorizes against the emulator in a new tab and shows the Authorized chip', async () => {
    const [signIn] = await Promise.all([
      session.context.waitForEvent('page'),
      connectionCard()
        .getByRole('button', { name: `Authorize ${CONNECTION_NAME}` })
        .click(),
    ]);
    // The emulator consents at once and sends the browser to the callback, which says what happened.
    await signIn.getByRole('heading', { name: 'Connected' }).waitFor({ timeout: STEP_TIMEOUT });
    await signIn.screenshot({ path: screenshotPath('04-callback-connected'), fullPage: true });
    await signIn.close();
    await connectionCard().locator('.chip', { hasText: 'Authorized' }).waitFor({ timeout: STEP_TIMEOUT });
    await connectionCard()
      .getByText(/Signed in as/)
      .waitFor();
    await connectionCard()
      .getByRole('button', { name: `Re-authorize ${CONNECTION_NAME}` })
      .waitFor();
    await shot('05-connection-authorized');
  });

  it('lists the drive and picks a new folder as the backup folder', async () => {
    const card = connectionCard();
    await card.getByRole('button', { name: 'Choose drive' }).click();
    await card.getByRole('list', { name: 'Drives' }).locator('li').first().waitFor();
    await card.getByRole('button', { name: 'Browse folders' }).click();
    await card.locator('[data-field=current-folder]', { hasText: 'Folder: /' }).waitFor();
    await card.getByLabel('New folder here').fill(FOLDER_NAME);
    await card.getByRole('button', { name: 'Create folder' }).click();
    await card.locator('[data-field=current-folder]', { hasText: `Folder: /${FOLDER_NAME}` }).waitFor();
    await shot('06-folder-browser');
    await card.getByRole('button', { name: 'Up' }).click();
    await card.getByRole('button', { name: `Open folder ${FOLDER_NAME}` }).click();
    await card.locator('[data-field=current-folder]', { hasText: `Folder: /${FOLDER_NAME}` }).waitFor();
    await card.getByRole('button', { name: 'Use this folder' }).click();
    await card.locator('[data-field=root-folder]', { hasText: `/${FOLDER_NAME}` }).waitFor();
    const { connections } = await adminGet<{ connections: Connection[] }>('connections');
    expect(connections.find((c) => c.name === CONNECTION_NAME)?.rootFolder).toBe(`/${FOLDER_NAME}`);
  });

  it('tests the connection and shows each step passing', async () => {
    const card = connectionCard();
    await card.getByRole('button', { name: 'Test connection' }).click();
    await card.getByText('All steps passed').waitFor({ timeout: STEP_TIMEOUT });
    const results = await card
      .locator('[data-step]')
      .evaluateAll((items) => items.map((i) => [i.getAttribute('data-step'), i.getAttribute('data-result')]));
    expect(results).toEqual([
      ['token', 'ok'],
      ['drive', 'ok'],
      ['folder', 'ok'],
      ['probe', 'ok'],
    ]);
    await shot('07-connection-test');
  });

  it('creates a job for the demo container with its schedule in plain words', async () => {
    await page.getByText('Create a job').click();
    await page.locator('#job-form').getByLabel('Name', { exact: true }).fill(JOB_NAME);
    await page
      .getByLabel('Connection', { exact: true })
      .selectOption({ label: `${CONNECTION_NAME} (Authorized)` });
    await page.getByLabel('Source container').fill(host.demoContainer!);
    await page.getByLabel(/^Destination folder/).fill('demo');
    await page.getByLabel(/^Schedule/).fill('0 30 2 * * *');
    await page.locator('#job-schedule-words', { hasText: 'every day at 02:30 UTC' }).waitFor();
    await page.getByLabel(/^Schedule/).fill('0 30 2 * *');
    await page.locator('#job-schedule-words', { hasText: 'must have exactly 6 fields' }).waitFor();
    await page.getByLabel(/^Schedule/).fill('0 30 2 * * *');
    await page.locator('#job-schedule-words', { hasText: 'every day at 02:30 UTC' }).waitFor();
    await shot('08-job-form');
    await page.getByRole('button', { name: 'Create job' }).click();
    await jobCard().locator('[data-field=schedule-words]', { hasText: 'every day at 02:30 UTC' }).waitFor();
    await jobCard().getByText(`/${FOLDER_NAME}/demo`).waitFor();
  });

  it('runs the job now and follows its progress to success', async () => {
    await jobCard()
      .getByRole('button', { name: `Run ${JOB_NAME} now` })
      .click();
    await page.locator('#run-section:not([hidden])').waitFor();
    expect(await finalRunStatus()).toBe('succeeded');
    const files = await page.locator('[data-field=run-files]').innerText();
    expect(files).toMatch(/^4 of 4 uploaded/);
    await shot('09-run-succeeded');

    // The files really are in the emulated OneDrive, under the picked folder.
    const { connections } = await adminGet<{ connections: Connection[] }>('connections');
    const connection = connections.find((c) => c.name === CONNECTION_NAME)!;
    const driveId = connection.driveId ?? host.emulators!.graph.driveIdOf(connection.accountUpn!);
    const paths = host.emulators!.graph.listFiles(driveId).map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining([`/${FOLDER_NAME}/demo/readme.txt`, `/${FOLDER_NAME}/demo/reports/2026-01.csv`]),
    );
  });

  it('restores the backup into a new container and follows it to success', async () => {
    const card = jobCard();
    await card.getByRole('button', { name: `Restore ${JOB_NAME}` }).click();
    await card.getByLabel('Target container').fill(RESTORE_CONTAINER);
    await card.getByLabel('When a file exists').selectOption('overwrite');
    await card.getByRole('button', { name: 'Start restore' }).click();
    await page.locator('#run-title', { hasText: 'Restore' }).waitFor();
    expect(await finalRunStatus()).toBe('succeeded');
    await shot('10-restore-succeeded');
    const blobs = BlobServiceClient.fromConnectionString(host.azurite!.connectionString);
    const names: string[] = [];
    for await (const blob of blobs.getContainerClient(RESTORE_CONTAINER).listBlobsFlat())
      names.push(blob.name);
    expect(names.sort()).toEqual([
      'images/pixel.svg',
      'readme.txt',
      'reports/2026-01.csv',
      'reports/2026-02.csv',
    ]);
  });

  it('shows Needs re-authorization with the reason after a revoked sign-in, and re-authorizes', async () => {
    // As when the account's password changes: every refresh token the emulator issued stops working.
    host.emulators!.identity.revokeRefreshTokens();
    const card = connectionCard();
    await card.getByRole('button', { name: 'Test connection' }).click();
    await card.locator('[data-step=token][data-result=failed]').waitFor({ timeout: STEP_TIMEOUT });
    await card.locator('.chip', { hasText: 'Needs re-authorization' }).waitFor();
    await card.locator('[data-field=status-reason]').waitFor();
    await page.locator('#reauth-list li', { hasText: `${CONNECTION_NAME} needs re-authorization` }).waitFor();
    await shot('11-needs-reauthorization');

    const [signIn] = await Promise.all([
      session.context.waitForEvent('page'),
      card.getByRole('button', { name: `Re-authorize ${CONNECTION_NAME}` }).click(),
    ]);
    await signIn.getByRole('heading', { name: 'Connected' }).waitFor({ timeout: STEP_TIMEOUT });
    await signIn.close();
    await card.locator('.chip', { hasText: 'Authorized' }).waitFor({ timeout: STEP_TIMEOUT });
    await page.locator('#reauth-list li').waitFor({ state: 'detached' });
  });

  it('raised no script error and no policy violation on the way', () => {
    // A blocked inline script or style would show up here as a console error.
    expect(pageErrors).toEqual([]);
  });
});
