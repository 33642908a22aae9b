// The CLI's building blocks: a command is a word path (`secret set`), its options, its positional
// arguments and a run function; the router in ./main.ts picks one by its words. Commands write
// through the IO given, so tests drive them in-process with their own streams, environment and fetch.
import type { Readable, Writable } from 'node:stream';
import { safeText } from './safeText';

export interface CliIO {
  stdin: Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  /** A terminal (isTTY) gets a redrawn progress bar; a pipe or file gets plain progress lines. */
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable;
  env: Readonly<Record<string, string | undefined>>;
  fetch: typeof fetch;
  /** How often a followed run is polled (default 1000 ms); tests shorten it. */
  pollIntervalMs?: number;
}

export type OptionSpec = { type: 'string' | 'boolean'; description: string; default?: string | boolean };

export type OptionValues = Record<string, string | boolean | undefined>;

export interface Command {
  /** The words that select it, e.g. ['secret', 'set']. */
  path: string[];
  summary: string;
  /** Usage after the command words, e.g. '--expires <date> [--value-stdin]'. */
  usage: string;
  options: Record<string, OptionSpec>;
  /** Names of the positional arguments, all required, e.g. ['jobId']. None when absent. */
  positionals?: string[];
  /** The positional names when an option changes what the argument is (`run --follow <runId>`). */
  positionalsFor?: (values: OptionValues) => string[];
  /** Returns the process exit code (./exitCodes.ts): 0 done, 1 failed, 2 usage error. */
  run(values: OptionValues, io: CliIO, args: string[]): Promise<number>;
}

/** A usage mistake (bad or missing input): printed as one line, exit code 2. */
export class UsageError extends Error {}

/**
 * The operation was tried and failed: its message is the one line printed (with the fix). The exit
 * code says what kind of failure (./exitCodes.ts); `status` is the HTTP status when the app answered.
 */
export class CliFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number = 1,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** One line; anything in it a terminal would obey (escapes, controls, line breaks, bidi) is removed. */
export function writeLine(stream: Writable, text = ''): void {
  stream.write(`${safeText(text)}\n`);
}

/** Several lines of the CLI's own making (help, JSON), each written as writeLine does. */
export function writeLines(stream: Writable, text: string): void {
  for (const line of text.split('\n')) writeLine(stream, line);
}

/** An option's string value, or undefined. */
export function stringOption(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Several required options at once: every missing one is named in ONE usage error, so a person fixes
 * the command line in one go instead of one option per attempt. `what` says what each one is;
 * options in `emptyAllowed` may be given as '' (a folder meaning "the root").
 */
export function requiredOptions<N extends string>(
  values: OptionValues,
  what: Record<N, string>,
  emptyAllowed: N[] = [],
): Record<N, string> {
  const result = {} as Record<N, string>;
  const missing: N[] = [];
  for (const name of Object.keys(what) as N[]) {
    const raw = stringOption(values, name);
    const value = emptyAllowed.includes(name) ? raw : raw?.trim() || undefined;
    if (value === undefined) missing.push(name);
    else result[name] = value;
  }
  if (missing.length === 1) throw new UsageError(`--${missing[0]} is required: ${what[missing[0]!]}`);
  if (missing.length > 1)
    throw new UsageError(
      `Missing ${missing.length} required options: ${missing.map((n) => `--${n} (${what[n]})`).join(', ')}`,
    );
  return result;
}
