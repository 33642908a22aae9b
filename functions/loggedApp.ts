// Wraps the Functions `app` so every handler it registers runs inside `withInvocationLog`: the
// product's log lines then go through that invocation's context (Microsoft's Node.js guide: lines
// written with console.* are not tied to the invocation in Application Insights).
import type { InvocationContext } from '@azure/functions';
import { withInvocationLog } from '../src/log/invocationLog';
import type { FunctionsApp } from './register';

type AnyHandler = (input: unknown, context: InvocationContext) => unknown;

function logged<O>(options: O): O {
  const handler = (options as { handler: AnyHandler }).handler;
  const wrapped: AnyHandler = (input, context) => withInvocationLog(context, () => handler(input, context));
  return { ...options, handler: wrapped };
}

export function withInvocationLogs(app: FunctionsApp): FunctionsApp {
  return {
    http: (name, options) => app.http(name, logged(options)),
    timer: (name, options) => app.timer(name, logged(options)),
    storageQueue: (name, options) => app.storageQueue(name, logged(options)),
    eventGrid: (name, options) => app.eventGrid(name, logged(options)),
  };
}
