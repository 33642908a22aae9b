// "Test connection": checks, step by step, that a connection can really back up — a token can be
// had, the drive answers, the target folder exists (or is created) and a small probe file can be
// written and deleted. Each step reports its result; later steps are skipped after a failure.
import { AppError, isAppError } from '../errors';
import type { GraphClient } from './client';
import {
  driveBase,
  ensureFolderPath,
  getDrive,
  getItem,
  itemPath,
  normalizePath,
  type DriveTarget,
} from './drives';
import { readDriveItem } from './model';

export type StepName = 'token' | 'drive' | 'folder' | 'probe';

export interface StepResult {
  step: StepName;
  ok: boolean;
  skipped?: boolean;
  detail?: string;
  code?: string;
  advice?: string;
}

export interface ConnectionTestReport {
  ok: boolean;
  steps: StepResult[];
  /** Where the backups land, with a link to open it in OneDrive, so nobody wonders where they went. */
  folder?: { path: string; webUrl?: string };
}

export interface ConnectionTestInput {
  target: DriveTarget;
  rootFolder: string;
  appOnly: boolean;
  /** Gets a fresh token (forcing a refresh proves the refresh token still works). */
  refreshToken: () => Promise<unknown>;
  client: GraphClient;
  now?: () => Date;
}

const APP_ONLY_CONSENT =
  'App-only access needs the Microsoft Graph application permission Files.ReadWrite.All (or Sites.ReadWrite.All for SharePoint) on the app registration, and an administrator must choose “Grant admin consent” on its API permissions page.';

function failed(step: StepName, error: unknown, appOnly: boolean): StepResult {
  const appError = isAppError(error)
    ? error
    : new AppError('UpstreamError', `${step}: ${(error as Error)?.message ?? 'failed'}`, { cause: error });
  const consent = appOnly && (appError.code === 'ConsentRequired' || appError.code === 'Unauthorized');
  return {
    step,
    ok: false,
    code: appError.code,
    detail: appError.detail ?? appError.message,
    advice: consent ? APP_ONLY_CONSENT : appError.advice,
  };
}

export async function testConnection(input: ConnectionTestInput): Promise<ConnectionTestReport> {
  const steps: StepResult[] = [];
  const { client, target, appOnly } = input;
  const run = async (step: StepName, action: () => Promise<string>): Promise<boolean> => {
    if (steps.some((s) => !s.ok)) {
      steps.push({ step, ok: false, skipped: true });
      return false;
    }
    try {
      steps.push({ step, ok: true, detail: await action() });
      return true;
    } catch (error) {
      steps.push(failed(step, error, appOnly));
      return false;
    }
  };

  await run('token', async () => {
    await input.refreshToken();
    return appOnly ? 'Got an app-only token' : 'Refreshed the sign-in';
  });
  await run('drive', async () => {
    const drive = await getDrive(client, target);
    return `Drive ${drive.name ?? drive.id} (${drive.driveType ?? 'unknown type'}) is reachable`;
  });
  const folder = normalizePath(input.rootFolder);
  let folderWebUrl: string | undefined;
  await run('folder', async () => {
    const result = await ensureFolderPath(client, target, folder);
    const item = await getItem(client, target, folder);
    folderWebUrl = item?.webUrl;
    return result.created ? `Created ${folder}` : `${folder} exists`;
  });
  await run('probe', async () => {
    const name = `.backup-probe-${(input.now?.() ?? new Date()).getTime()}.txt`;
    const path = `${folder === '/' ? '' : folder}/${name}`;
    const item = readDriveItem(
      await client.request(
        {
          method: 'PUT',
          path: `${itemPath(target, path)}/content`,
          body: 'azure-onedrive-backup connection test',
          contentType: 'text/plain',
        },
        'write probe file',
      ),
    );
    if (!item) throw new AppError('UpstreamError', 'write probe file: Graph returned no driveItem.');
    await client.request(
      { method: 'DELETE', path: `${driveBase(target)}/items/${encodeURIComponent(item.id)}` },
      'write probe file',
    );
    return `Wrote and deleted ${name} in ${folder}`;
  });
  return {
    ok: steps.every((s) => s.ok),
    steps,
    ...(steps.some((s) => s.step === 'folder' && s.ok)
      ? { folder: { path: folder, webUrl: folderWebUrl } }
      : {}),
  };
}
