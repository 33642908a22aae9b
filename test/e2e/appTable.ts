// The function table the browser tests run: exactly the app's.
import { FUNCTIONS } from '../../src/app/functionTable';
import type { FunctionDefinition } from '../../src/app/types';

export function appTable(): FunctionDefinition[] {
  return [...FUNCTIONS];
}

export function hasHttpRoute(table: readonly FunctionDefinition[], method: string, route: string): boolean {
  return table.some(
    (f) =>
      f.trigger.type === 'http' &&
      f.trigger.route.toLowerCase() === route.toLowerCase() &&
      f.trigger.methods.includes(method as never),
  );
}
