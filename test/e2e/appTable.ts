// The function table the browser tests run: the app's FUNCTIONS plus any area list not yet wired
// into it (areas land one by one; the page needs auth, alerts, backup and its own routes).
import { alertFunctionDefinitions } from '../../src/alerts/functions';
import { FUNCTIONS } from '../../src/app/functionTable';
import type { FunctionDefinition } from '../../src/app/types';
import { authFunctions } from '../../src/auth/functions';
import { backupFunctions } from '../../src/backup/functions';
import { uiFunctions } from '../../src/ui/functions';

export function appTable(): FunctionDefinition[] {
  const table = [...FUNCTIONS];
  const names = new Set(table.map((f) => f.name));
  for (const fn of [...authFunctions, ...alertFunctionDefinitions, ...backupFunctions, ...uiFunctions])
    if (!names.has(fn.name)) {
      table.push(fn);
      names.add(fn.name);
    }
  return table;
}

export function hasHttpRoute(table: readonly FunctionDefinition[], method: string, route: string): boolean {
  return table.some(
    (f) =>
      f.trigger.type === 'http' &&
      f.trigger.route.toLowerCase() === route.toLowerCase() &&
      f.trigger.methods.includes(method as never),
  );
}
