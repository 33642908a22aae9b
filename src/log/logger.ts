// Structured logs: one JSON object per line with the fields that let a person follow a run (run id,
// job id, file, bytes, attempt). Secrets never reach a log: every value registered with
// `registerSecret` is masked wherever it appears, and fields whose names say they hold a credential
// are masked whatever their value. The set of registered values and its matcher live in ./masker.ts.
// During a function invocation lines go to its context (./invocationLog.ts), so Application Insights
// ties them to the invocation; elsewhere to the console.
import { currentInvocationLog } from './invocationLog';
import { MASK, secretMasker } from './masker';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;
export type LogSink = (line: string, level: LogLevel) => void;

const SENSITIVE_KEY = /(secret|token|password|authorization|^code$|code_verifier|assertion|cookie|sig$)/i;
const defaultSink: LogSink = (line, level) => {
  const invocation = currentInvocationLog();
  if (invocation) invocation[level](line);
  else if (level === 'error' || level === 'warn') console.error(line);
  else console.log(line);
};
let sink: LogSink = defaultSink;

/**
 * Remember a secret value so it is masked in later log lines. Only for values the product issued or
 * received from a trusted party after validation: never for raw request input. Short values are
 * ignored (they would mask ordinary words); the set is bounded (see ./masker.ts).
 */
export function registerSecret(value: string | undefined | null): void {
  secretMasker.register(value);
}

/** Replace where logs go (tests capture lines this way); returns the previous sink. */
export function setLogSink(next: LogSink): LogSink {
  const previous = sink;
  sink = next;
  return previous;
}

export function redact(text: string): string {
  const out = secretMasker.mask(text);
  // Bearer tokens and URL-borne credentials are masked even if nobody registered them.
  return out
    .replace(/(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/g, `$1${MASK}`)
    .replace(/([?&](?:code|sig|client_secret|refresh_token|access_token)=)[^&\s"']+/gi, `$1${MASK}`);
}

function scrub(value: unknown, depth = 0): unknown {
  if (depth > 6) return '[deep]';
  if (typeof value === 'string') return redact(value);
  if (value instanceof Error) {
    return { name: value.name, message: redact(value.message), code: (value as { code?: unknown }).code };
  }
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value))
      out[key] = SENSITIVE_KEY.test(key) ? MASK : scrub(v, depth + 1);
    return out;
  }
  return value;
}

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export function createLogger(base: LogFields = {}): Logger {
  const write = (level: LogLevel, event: string, fields: LogFields = {}): void => {
    const record = scrub({ time: new Date().toISOString(), level, event, ...base, ...fields });
    sink(JSON.stringify(record), level);
  };
  return {
    debug: (event, fields) => write('debug', event, fields),
    info: (event, fields) => write('info', event, fields),
    warn: (event, fields) => write('warn', event, fields),
    error: (event, fields) => write('error', event, fields),
    child: (fields) => createLogger({ ...base, ...fields }),
  };
}

export const log = createLogger();
