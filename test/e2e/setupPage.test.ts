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
// Over OneDrive's 400-character path limit once under the backup folder, and one unbroken word.
const LONG_NAME = 'exports/quarterly-' + 'consolidated-ledger-'.repeat(20) + 'final.csv';
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

async function jobId(): Promise<string> {
  const { jobs } = await adminGet<{ jobs: Array<{ id: string; name: string }> }>('jobs');
  return jobs.find((j) => j.name === JOB_NAME)!.id;
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

  it("lists the source account's containers for the job form, behind the key", async () => {
    const refused = await fetch(`${host.url}/api/source/containers`);
    expect(refused.status).toBe(401);
    const { containers } = await adminGet<{ containers: string[] }>('source/containers');
    expect(containers).toContain(host.demoContainer);
  });

  it('asks for the function key and refuses a wrong one with a clear line', async () => {
    await page.goto(`${host.url}/api/ui`);
    await page.getByRole('textbox', { name: 'Function key' }).waitFor();
    // Nothing was tried yet, so nothing can have been refused.
    expect(await page.locator('#key-error').isVisible()).toBe(false);
    await shot('01-key-prompt');
    await page.getByRole('textbox', { name: 'Function key' }).fill('not-the-key');
    await page.getByRole('button', { name: 'Use key' }).click();
    await page.locator('#key-error', { hasText: 'The function key was refused' }).waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    // Typing the next key takes the old refusal away.
    await page.getByRole('textbox', { name: 'Function key' }).fill('x');
    await page.locator('#key-error').waitFor({ state: 'hidden' });
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

  it('shows an API error beside its field, in the words of its label, the field marked invalid', async () => {
    await page.getByText('Add a connection').click();
    const form = page.locator('#connection-form');
    await form.getByLabel('Name', { exact: true }).fill('Bad tenant');
    await form.getByLabel(/^Tenant/).fill('not a tenant!');
    await page.getByRole('button', { name: 'Add connection' }).click();
    await page.locator('#conn-tenant-error', { hasText: /^Tenant: / }).waitFor();
    expect(await form.getByLabel(/^Tenant/).getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#connection-form-error').isVisible()).toBe(false);
    await shot('02-api-error');
  });

  it('adds a connection, shown as New, with data inserted as text only', async () => {
    const form = page.locator('#connection-form');
    await form.getByLabel(/^Tenant/).fill('common');
    await form.getByLabel('Name', { exact: true }).fill(CONNECTION_NAME);
    await form.getByLabel('Drive type').selectOption('personal');
    await page.getByRole('button', { name: 'Add connection' }).click();
    await connectionCard().locator('.chip', { hasText: 'Not authorized yet' }).waitFor();
    // Fixed, the field is no longer marked.
    expect(await form.getByLabel(/^Tenant/).getAttribute('aria-invalid')).toBeNull();
    // What needs a signed-in connection waits for it; a personal OneDrive has no drive to choose.
    expect(await connectionCard().getByRole('button', { name: 'Test connection' }).isDisabled()).toBe(true);
    expect(await connectionCard().getByRole('button', { name: 'Browse folders' }).isDisabled()).toBe(true);
    expect(await connectionCard().getByRole('button', { name: 'Choose drive' }).count()).toBe(0);
    expect(await connectionCard().getByText('Needs re-authorization').count()).toBe(0);

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

  it('authorizes against the emulator in a new tab and shows the Authorized chip, the owner and free space', async () => {
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
    // The drive as a person knows it (whose, how much room is left), never a raw drive id.
    const { connections } = await adminGet<{ connections: Connection[] }>('connections');
    const connection = connections.find((c) => c.name === CONNECTION_NAME)!;
    const driveId = connection.driveId ?? host.emulators!.graph.driveIdOf(connection.accountUpn!);
    host.emulators!.graph.setQuota(driveId, 5 * 1024 ** 3);
    await page.reload();
    const drive = connectionCard().locator('[data-field=drive]');
    await drive.filter({ hasText: /free of 5\.0 GiB/ }).waitFor({ timeout: STEP_TIMEOUT });
    expect(await drive.innerText()).toMatch(/ of .+ · .+ free/);
    expect(await connectionCard().innerText()).not.toContain(driveId);
    expect(await connectionCard().getByRole('button', { name: 'Test connection' }).isDisabled()).toBe(false);
    await shot('05-connection-authorized');
  });

  it('picks a new folder as the backup folder', async () => {
    const card = connectionCard();
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
    await card.locator('.notice', { hasText: 'Backups now go to' }).waitFor();
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
    // The folder notice described a moment; it has gone by itself.
    await card
      .locator('.notice', { hasText: 'Backups now go to' })
      .waitFor({ state: 'detached', timeout: 15_000 });
  });

  it('creates a job from a form in plain language: presets, the fields of its mode, the containers, errors by field', async () => {
    await page.getByText('Create a job').click();
    const form = page.locator('#job-form');
    await form.getByLabel('Name', { exact: true }).fill(JOB_NAME);
    await page
      .getByLabel('Connection', { exact: true })
      .selectOption({ label: `${CONNECTION_NAME} (Authorized)` });
    // The container is picked from the source account's containers.
    const container = form.getByLabel('Source container');
    await container.locator(`option[value="${host.demoContainer!}"]`).waitFor({ state: 'attached' });
    await container.selectOption(host.demoContainer!);

    // Only the chosen mode's fields show.
    expect(await form.getByLabel(/^Keep last N snapshots/).isVisible()).toBe(false);
    expect(await form.getByLabel(/Propagate deletions/).isVisible()).toBe(true);
    await form.getByLabel('Mode').selectOption('snapshot');
    expect(await form.getByLabel(/^Keep last N snapshots/).isVisible()).toBe(true);
    expect(await form.getByLabel(/Propagate deletions/).isVisible()).toBe(false);
    await form.getByLabel('Mode').selectOption('mirror');

    // A preset writes the expression, and the expression is described in words.
    await form.getByLabel('Schedule', { exact: true }).selectOption('weekly');
    await form.getByLabel('Day', { exact: true }).selectOption({ label: 'Monday' });
    await form.getByLabel('Time (UTC)').fill('03:15');
    await form.getByLabel('Time (UTC)').dispatchEvent('change');
    expect(await form.getByLabel(/^Cron expression/).inputValue()).toBe('0 15 3 * * 1');
    await page.locator('#job-schedule-words', { hasText: /Monday/ }).waitFor();
    await form.getByLabel(/^Cron expression/).fill('0 30 2 * *');
    await page.locator('#job-schedule-words', { hasText: 'must have exactly 6 fields' }).waitFor();
    await form.getByLabel(/^Cron expression/).fill('0 30 2 * * *');
    await page.locator('#job-schedule-words', { hasText: 'every day at 02:30 UTC' }).waitFor();
    // Typed by hand, a preset's expression selects that preset again.
    expect(await form.getByLabel('Schedule', { exact: true }).inputValue()).toBe('daily');
    expect(await form.getByLabel('Time (UTC)').inputValue()).toBe('02:30');

    // A refused field is named by its label, beside it, and marked invalid.
    await form.getByLabel(/^Destination folder/).fill('bad:name');
    await page.getByRole('button', { name: 'Create job' }).click();
    const destinationError = page.locator('#job-destination-error');
    await destinationError.waitFor();
    expect(await destinationError.innerText()).toMatch(/^Destination folder: /);
    expect(await destinationError.innerText()).not.toContain('destinationFolder');
    expect(await form.getByLabel(/^Destination folder/).getAttribute('aria-invalid')).toBe('true');
    await shot('08-job-form');

    // Untouched, the chunk size is not sent, so the server's default applies.
    const sent = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/api/jobs'));
    await form.getByLabel(/^Destination folder/).fill('demo');
    await page.getByRole('button', { name: 'Create job' }).click();
    expect(Object.keys(JSON.parse((await sent).postData() ?? '{}'))).not.toContain('chunkSizeBytes');
    await jobCard().locator('[data-field=schedule-words]', { hasText: 'every day at 02:30 UTC' }).waitFor();
    await jobCard().getByText(`/${FOLDER_NAME}/demo`).waitFor();
    await jobCard().locator('[data-field=last-result]', { hasText: 'Not run yet' }).waitFor();
  });

  it("runs the job now and follows its progress to success, in the job's card", async () => {
    await jobCard()
      .getByRole('button', { name: `Run ${JOB_NAME} now` })
      .click();
    await jobCard().locator('#run-section:not([hidden])').waitFor();
    expect(await finalRunStatus()).toBe('succeeded');
    const files = await page.locator('[data-field=run-files]').innerText();
    expect(files).toBe('4 uploaded of 4');
    expect(await page.locator('#run-section progress').getAttribute('value')).toBe('1000');
    // Health at a glance: the last result with its time, the next run in UTC and local time, the strip.
    await jobCard()
      .locator('[data-field=last-result]', { hasText: /^Last run succeeded/ })
      .waitFor();
    expect(await jobCard().locator('[data-field=next-run]').innerText()).toMatch(
      /^Next run in .+: \d{4}-\d\d-\d\d 02:30 UTC \(.+ your time\)$/,
    );
    expect(
      await jobCard()
        .locator('.strip .mark')
        .evaluateAll((m) => m.map((x) => x.getAttribute('data-status'))),
    ).toEqual(['succeeded']);
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
    expect(await page.locator('[data-field=run-files]').innerText()).toBe('4 restored of 4');
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

  it('restores again over identical files and says there was nothing to copy', async () => {
    const card = jobCard();
    await card.getByRole('button', { name: `Restore ${JOB_NAME}` }).click();
    await card.getByLabel('Target container').fill(RESTORE_CONTAINER);
    await card.getByLabel('When a file exists').selectOption('skip-existing');
    const previous = await page.locator('#run-section').getAttribute('data-run-id');
    await card.getByRole('button', { name: 'Start restore' }).click();
    await page.locator(`#run-section:not([data-run-id="${previous}"])`).waitFor();
    expect(await finalRunStatus()).toBe('succeeded');
    expect(await page.locator('[data-field=run-files]').innerText()).toBe(
      '4 unchanged of 4 (nothing to copy)',
    );
    expect(await page.locator('[data-field=run-bytes]').innerText()).toBe('nothing to copy');
  });

  it('follows a slow run live: bytes, speed, what is in flight, the failure with its reason, never a full bar', async () => {
    const container = BlobServiceClient.fromConnectionString(
      host.azurite!.connectionString,
    ).getContainerClient(host.demoContainer!);
    for (let i = 1; i <= 6; i += 1)
      await container.uploadBlockBlob(`exports/batch-${i}.bin`, Buffer.alloc(300_000, i), 300_000);
    // Longer than OneDrive allows under the backup folder: this file fails, with its reason.
    await container.uploadBlockBlob(LONG_NAME, Buffer.from('too long'), 8);
    // Slow uploads, so the run lasts long enough to be watched.
    // The six go in one batch task, uploaded side by side: each delay must outlast a few polls.
    host.emulators!.graph.server.faults.add({ kind: 'delay', delayMs: 3000, method: 'PUT', count: 6 });
    await jobCard()
      .getByRole('button', { name: `Run ${JOB_NAME} now` })
      .click();
    await page.locator('#run-section[data-run-status=running]').waitFor({ timeout: STEP_TIMEOUT });
    await page.locator('[data-field=run-speed]', { hasText: '/s now' }).waitFor({ timeout: STEP_TIMEOUT });
    await shot('12-run-live');
    expect(await finalRunStatus()).toBe('partially-failed');
    expect(await page.locator('[data-field=run-files]').innerText()).toBe(
      '6 uploaded, 4 unchanged, 1 failed of 11',
    );
    expect(Number(await page.locator('#run-section progress').getAttribute('value'))).toBeLessThan(1000);
    await page.locator('#run-section .failures li', { hasText: LONG_NAME }).waitFor();
    await page.locator('[data-field=throughput-chart] svg').waitFor();
    const last = jobCard().locator('[data-field=last-result]');
    await last.filter({ hasText: /^Last run partly failed/ }).waitFor();
    expect(await last.innerText()).toContain(LONG_NAME.slice(0, 30));
    await shot('13-run-partially-failed');
    await jobCard().screenshot({ path: screenshotPath('13-run-card') });
  });

  it('picks up a run started elsewhere without a reload, and shows why it failed', async () => {
    // Pointed at a container that is deleted after the edit (an edit checks the source is readable),
    // the next run cannot even be planned.
    const gone = BlobServiceClient.fromConnectionString(host.azurite!.connectionString).getContainerClient(
      'gone-container',
    );
    await gone.createIfNotExists();
    const patched = await fetch(`${host.url}/api/jobs/${await jobId()}`, {
      method: 'PATCH',
      headers: { 'x-functions-key': host.functionKey, 'content-type': 'application/json' },
      body: JSON.stringify({ source: { container: 'gone-container' } }),
    });
    expect(patched.status).toBe(200);
    await gone.delete();
    const started = await fetch(`${host.url}/api/jobs/${await jobId()}/run`, {
      method: 'POST',
      headers: { 'x-functions-key': host.functionKey },
    });
    expect(started.status).toBe(202);
    const { id: runId } = (await started.json()) as { id: string };
    // The page refreshes itself (every 15 s): the run's red mark appears in the strip, with why it failed.
    await jobCard().locator(`.strip .mark-failed[data-run-id="${runId}"]`).waitFor({ timeout: 40_000 });
    const marks = await jobCard()
      .locator('.strip .mark')
      .evaluateAll((m) => m.map((x) => x.getAttribute('data-status')));
    expect(marks).toEqual(['succeeded', 'partially-failed', 'failed']);
    const run = await adminGet<{ error?: string }>(`runs/${runId}`);
    expect(run.error).toBeTruthy();
    expect(await jobCard().locator('.strip .mark-failed').getAttribute('title')).toMatch(/UTC · failed · /);
    const last = jobCard().locator('[data-field=last-result]');
    await last.filter({ hasText: /^Last run failed/ }).waitFor();
    expect(await last.innerText()).toContain(run.error);
    // Opened afresh, the page tells the same at once, without a click.
    await page.reload();
    await last.filter({ hasText: /^Last run failed/ }).waitFor();
    await jobCard().locator('.strip .mark-failed').waitFor();
    await shot('14-health-at-a-glance');
  });

  it('shows the run history as a chart of bytes and time per run, and the list', async () => {
    await jobCard()
      .getByRole('button', { name: `Run history of ${JOB_NAME}` })
      .click();
    const chart = jobCard().locator('[data-field=history-chart] svg');
    await chart.waitFor();
    // One bar per finished run (restores included), coloured by its result.
    expect(await chart.locator('rect').evaluateAll((r) => r.map((x) => x.getAttribute('class')))).toEqual([
      'bar-succeeded',
      'bar-succeeded',
      'bar-succeeded',
      'bar-partially-failed',
      'bar-failed',
    ]);
    const list = jobCard().getByRole('list', { name: 'Runs' });
    expect(await list.locator('li').count()).toBe(5);
    await shot('15-run-history');
    // The failed run, opened from the list: why it failed, and a bar that is not full.
    await list
      .locator('li')
      .first()
      .getByRole('button', { name: /^Show run / })
      .click();
    await jobCard().locator('#run-section[data-run-status=failed] [data-field=run-problem]').waitFor();
    expect(await page.locator('#run-section [data-field=run-files]').innerText()).toBe('Nothing copied');
    expect(Number(await page.locator('#run-section progress').getAttribute('value'))).toBeLessThan(1000);
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
    // The failed test described the old sign-in; it is gone with it.
    await card.locator('[data-step]').first().waitFor({ state: 'detached' });
    expect(await card.getByRole('button', { name: 'Test connection' }).isDisabled()).toBe(false);
  });

  it('asks nothing while the tab is hidden, and refreshes at once when it is shown again', async () => {
    const asked: string[] = [];
    const listen = (request: { url(): string }): void => {
      if (request.url().includes('/api/')) asked.push(request.url());
    };
    page.on('request', listen);
    const setVisibility = (state: string): Promise<void> =>
      page.evaluate((value) => {
        Object.defineProperty(document, 'visibilityState', { value, configurable: true });
        document.dispatchEvent(new Event('visibilitychange'));
      }, state);
    try {
      await setVisibility('hidden');
      asked.length = 0;
      // Longer than the 15-second refresh: a visible tab would have asked by now.
      await page.waitForTimeout(17_000);
      expect(asked).toEqual([]);
      const refreshed = page.waitForRequest((r) => r.url().endsWith('/api/jobs'), { timeout: 5_000 });
      await setVisibility('visible');
      await refreshed;
    } finally {
      page.off('request', listen);
    }
  });

  it('fits a 390 px phone: no horizontal scrolling, long file names wrap', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await jobCard()
      .locator('[data-field=last-result]', { hasText: /^Last run failed/ })
      .waitFor();
    const runs = await adminGet<{ runs: Array<{ id: string; status: string }> }>(
      `jobs/${await jobId()}/runs`,
    );
    const failed = runs.runs.find((r) => r.status === 'partially-failed')!;
    await jobCard()
      .getByRole('button', { name: `Run history of ${JOB_NAME}` })
      .click();
    await jobCard()
      .getByRole('button', { name: `Show run ${failed.id}` })
      .click();
    await page.locator('#run-section .failures li', { hasText: LONG_NAME.slice(0, 30) }).waitFor();
    const overflow = await page.evaluate(() => ({
      page: document.documentElement.scrollWidth,
      widest: Math.max(
        ...Array.from(document.querySelectorAll('header, main *')).map(
          (e) => e.getBoundingClientRect().right,
        ),
      ),
    }));
    expect(overflow.page).toBeLessThanOrEqual(390);
    expect(overflow.widest).toBeLessThanOrEqual(390);
    await shot('16-phone');
    await page.setViewportSize({ width: 1100, height: 900 });
  });

  it('raised no script error and no policy violation on the way', () => {
    // A blocked inline script or style would show up here as a console error.
    expect(pageErrors).toEqual([]);
  });
});
