// Where a log line goes while a function runs. Microsoft's Node.js guide says to log through the
// invocation context: lines written with `console.*` are not tied to the invocation in Application
// Insights (no operation id, and the worker may ship them as system logs). The logger is created
// once per process, long before any invocation, so it cannot hold the context; instead the adapter
// that calls each handler (functions/register.ts) runs it inside `withInvocationLog`, and every
// logger write made during that call (however deep, across awaits) finds the context here.
import { AsyncLocalStorage } from 'node:async_hooks';

/** The part of @azure/functions' InvocationContext a log line needs. */
export interface InvocationLogTarget {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

const current = new AsyncLocalStorage<InvocationLogTarget>();

/** Runs `body` so that every log line it writes goes to `target`. */
export function withInvocationLog<T>(target: InvocationLogTarget, body: () => T): T {
  return current.run(target, body);
}

/** The invocation running now, or undefined outside one (local host, CLI, tests). */
export function currentInvocationLog(): InvocationLogTarget | undefined {
  return current.getStore();
}
