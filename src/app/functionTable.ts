// The one declarative table of the app's functions: name, trigger, options and handler of each.
// ./root.ts builds it with the dependencies of every area; functions/index.ts registers it with
// Azure Functions and src/local/ runs it, so the two cannot drift apart. Each area exports its
// createXFunctions(deps); adding an area is one line here and its deps in ./root.ts.
import type { AlertDeps } from '../alerts/deps';
import { createAlertFunctions } from '../alerts/functions';
import type { AuthDeps } from '../auth/deps';
import { createAuthFunctions } from '../auth/functions';
import type { AdminDeps } from '../backup/admin';
import type { BackupDeps } from '../backup/deps';
import { createBackupFunctions } from '../backup/functions';
import type { Config } from '../config';
import type { EventDeps } from '../events/deps';
import { createEventFunctions } from '../events/functions';
import type { HistoryDeps } from '../history/deps';
import { createHistoryFunctions } from '../history/functions';
import type { RestoreApiDeps } from '../restore/api';
import { createRestoreFunctions } from '../restore/functions';
import { createUiFunctions } from '../ui/functions';
import { createHealthFunctions } from './health';
import type { DepsProvider, FunctionDefinition } from './types';

/** What every area's functions are built with; each provider is awaited only inside a handler. */
export interface FunctionTableDeps {
  config: () => Config;
  auth: DepsProvider<AuthDeps>;
  alerts: DepsProvider<AlertDeps>;
  backup: DepsProvider<BackupDeps>;
  admin: DepsProvider<AdminDeps>;
  restore: DepsProvider<RestoreApiDeps>;
  events: DepsProvider<EventDeps>;
  history: DepsProvider<HistoryDeps>;
}

export function createFunctionTable(deps: FunctionTableDeps): readonly FunctionDefinition[] {
  return Object.freeze([
    ...createHealthFunctions(deps.config),
    ...createAuthFunctions(deps.auth),
    ...createBackupFunctions(deps),
    ...createAlertFunctions(deps.alerts),
    ...createRestoreFunctions(deps.restore),
    ...createEventFunctions(deps.events),
    ...createHistoryFunctions(deps.history),
    ...createUiFunctions(),
  ]);
}

/** Fails at start, not at the first request, when two entries share a name or an HTTP route and method. */
export function assertValidTable(functions: readonly FunctionDefinition[]): void {
  const names = new Set<string>();
  const routes = new Set<string>();
  for (const fn of functions) {
    if (!/^[A-Za-z][A-Za-z0-9_-]{0,127}$/.test(fn.name))
      throw new Error(`Invalid function name "${fn.name}"`);
    if (names.has(fn.name)) throw new Error(`Two functions are named "${fn.name}"`);
    names.add(fn.name);
    if (fn.trigger.type === 'http') {
      for (const method of fn.trigger.methods) {
        const key = `${method} ${fn.trigger.route.toLowerCase()}`;
        if (routes.has(key)) throw new Error(`Two functions serve ${key}`);
        routes.add(key);
      }
    }
  }
}
