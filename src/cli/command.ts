// The CLI's building blocks: a command is a word path (`secret set`), its options and a run
// function; the router in ./main.ts picks one by its words. Commands write through the IO given, so
// tests drive them in-process with their own streams, environment and fetch.
import type { Readable, Writable } from 'node:stream';

export interface CliIO {
  stdin: Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  stdout: Writable;
  stderr: Writable;
  env: Readonly<Record<string, string | undefined>>;
  fetch: typeof fetch;
}

export type OptionSpec = { type: 'string' | 'boolean'; description: string; default?: string | boolean };

export interface Command {
  /** The words that select it, e.g. ['secret', 'set']. */
  path: string[];
  summary: string;
  /** Usage after the command words, e.g. '--expires <date> [--value-stdin]'. */
  usage: string;
  options: Record<string, OptionSpec>;
  /** Returns the process exit code: 0 done, 1 failed, 2 usage error. */
  run(values: Record<string, string | boolean | undefined>, io: CliIO): Promise<number>;
}

/** A usage mistake: printed with the command's usage, exit code 2. */
export class UsageError extends Error {}

export function writeLine(stream: Writable, text = ''): void {
  stream.write(`${text}\n`);
}
