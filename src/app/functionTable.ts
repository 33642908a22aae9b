// The one declarative table of the app's functions. functions/index.ts registers it with Azure
// Functions and src/local/ runs it, so the two cannot drift apart. Each area exports its own
// FunctionDefinition[]; adding an area is one line here.
import { alertFunctionDefinitions } from '../alerts/functions';
import { authFunctions } from '../auth/functions';
import { backupFunctions } from '../backup/functions';
import { restoreFunctions } from '../restore/functions';
import { uiFunctions } from '../ui/functions';
import { healthFunctions } from './health';
import type { FunctionDefinition } from './types';

export const FUNCTIONS: readonly FunctionDefinition[] = Object.freeze([
  ...healthFunctions,
  ...authFunctions,
  ...backupFunctions,
  ...alertFunctionDefinitions,
  ...restoreFunctions,
  ...uiFunctions,
]);

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
