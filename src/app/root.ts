// The composition root: the one place that builds the services and every area's dependencies and
// hands them to the function table. functions/index.ts builds it from process.env, the local host
// from its own settings, tests from settings that point at Azurite and the emulators.
//
// Azure loads the table when it imports the app, before a setting may be read, so nothing here is
// built until a handler first asks for it; each piece is then built once and shared (one token
// service per process keeps refreshes single-flight and a rotated refresh token written once). A
// build that fails is retried at the next invocation instead of failing every one after it.
import type { AlertDeps } from '../alerts/deps';
import { quotaExceededAlert } from '../alerts/messages';
import { createAlertDeps } from '../alerts/wiring';
import type { AuthDeps } from '../auth/deps';
import { buildAuthDeps, reportRotationAlert, reportTokenAlert } from '../auth/wiring';
import { buildAdminDeps, buildBackupDeps } from '../backup/wiring';
import type { Config } from '../config';
import { buildEventDeps } from '../events/wiring';
import { buildHistoryDeps } from '../history/wiring';
import type { Logger } from '../log/logger';
import { buildRestoreApiDeps } from '../restore/wiring';
import { blobEndpointPolicy } from '../sources/endpointPolicy';
import { createFunctionTable, type FunctionTableDeps } from './functionTable';
import { lazy, lazySync } from './lazy';
import { createServices, type Services } from './services';
import type { DepsProvider, FunctionDefinition } from './types';

export interface AppRootOptions {
  /** The settings, or how to read them at the first invocation (again after a read that failed). */
  config: Config | (() => Config);
  /** The services' logger (default: the process logger). */
  log?: Logger;
  /** Builds the services instead of createServices (the local host's also wake its queue pollers). */
  services?: (config: Config) => Services;
}

export interface AppRoot {
  /** The function table, every handler wired to the dependencies below. */
  readonly functions: readonly FunctionDefinition[];
  /** The services the dependencies are built over, built at the first call. */
  services(): Services;
  /** Each area's dependencies, built at the first call and shared with the handlers. */
  readonly deps: FunctionTableDeps;
}

export function createAppRoot(options: AppRootOptions): AppRoot {
  const source = options.config;
  const config = typeof source === 'function' ? lazySync(source) : () => source;
  const services = lazySync(() =>
    options.services ? options.services(config()) : createServices(config(), options.log),
  );

  const alerts: DepsProvider<AlertDeps> = lazy(() => createAlertDeps(services()));
  const auth: DepsProvider<AuthDeps> = lazy(() =>
    buildAuthDeps(services(), {
      onAlert: async (alert) => reportTokenAlert(await alerts(), (await auth()).connections, alert),
      onRotationAlert: async (alert) => reportRotationAlert(await alerts(), alert),
    }),
  );
  const backup = lazy(async () =>
    buildBackupDeps(services(), await auth(), {
      onQuotaAlert: async (alert) => (await alerts()).notifier.notify(quotaExceededAlert(alert)),
    }),
  );
  const admin = lazy(async () =>
    buildAdminDeps(await backup(), await auth(), blobEndpointPolicy(services().config), services()),
  );
  const restore = lazy(async () => buildRestoreApiDeps(services(), await backup()));

  const events = lazy(async () => buildEventDeps(services(), await backup()));
  const history = lazy(async () => buildHistoryDeps(services(), await backup()));

  const deps: FunctionTableDeps = { config, auth, alerts, backup, admin, restore, events, history };
  return { functions: createFunctionTable(deps), services, deps };
}
