// The admin API as the CLI sees it: one request helper that adds the function key, and turns every
// way a call can fail into ONE line that says what to do. The key travels only in the
// x-functions-key header and never appears in a message, including messages built from URLs.
import { adviceForCli, type AdviceContext } from './advice';
import { CliFailure, UsageError, type CliIO, type OptionSpec, type OptionValues } from './command';
import { EXIT, exitCodeForStatus } from './exitCodes';
import { Hints } from './hints';

export const DEFAULT_URL = 'http://localhost:7071';
export const FUNCTION_KEY_ENV = 'AOB_FUNCTION_KEY';
export const URL_ENV = 'AOB_URL';

/** The options every API command takes. */
export const CONNECT_OPTIONS: Record<string, OptionSpec> = {
  url: {
    type: 'string',
    description: `Function app or local host base URL (default: the ${URL_ENV} environment variable, else ${DEFAULT_URL})`,
  },
  key: {
    type: 'string',
    description: `Function key (default: the ${FUNCTION_KEY_ENV} environment variable)`,
  },
};

export const JSON_OPTION: Record<string, OptionSpec> = {
  json: { type: 'boolean', description: "Print the API's JSON (for scripts) instead of text" },
};

/** The shape of the API's error bodies (src/errors.ts AppError.toJSON, and the local host's own). */
interface ApiErrorBody {
  error?: { code?: string; message?: string; advice?: string; field?: string };
}

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | undefined>;
  /**
   * API field → CLI option (e.g. `source.container` → `container`). A 400 naming a mapped field is
   * the person's input: reported against the option, as a usage error (exit 2).
   */
  fields?: Record<string, string>;
  /** Said after a 404, e.g. 'list the jobs with `job list`'. */
  notFoundHint?: string;
  /** The ids the call is about, so the server's advice can be turned into the CLI command with them. */
  context?: AdviceContext;
}

export class ApiClient {
  /** Base URL without a trailing slash or /api, and without any query (which could hold a key). */
  readonly base: string;

  /** Follow-up commands to print; they repeat --url when it was given. */
  readonly hints: Hints;

  constructor(
    base: string,
    private readonly key: string | undefined,
    private readonly io: CliIO,
    /** True when the URL came from --url (not AOB_URL or the default), so hints must repeat it. */
    urlGiven = false,
  ) {
    this.base = normalizeBase(base);
    this.hints = new Hints(urlGiven ? this.base : undefined);
  }

  get hasKey(): boolean {
    return Boolean(this.key);
  }

  /**
   * The browser address of an admin GET route, with the key as ?code= (how Azure Functions and the
   * local host accept it from a browser). Contains the key: callers must say so where they print it.
   */
  browserUrl(path: string): string {
    const url = new URL(`${this.base}${path}`);
    if (this.key) url.searchParams.set('code', this.key);
    return url.toString();
  }

  async get<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('GET', path, options);
  }

  async post<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('POST', path, options);
  }

  async patch<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('PATCH', path, options);
  }

  async delete(path: string, options: RequestOptions = {}): Promise<void> {
    await this.request<unknown>('DELETE', path, options);
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const url = new URL(`${this.base}/api/${path}`);
    for (const [name, value] of Object.entries(options.query ?? {}))
      if (value !== undefined) url.searchParams.set(name, value);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.key) headers['x-functions-key'] = this.key;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await this.io.fetch(url, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      });
    } catch (error) {
      // Nothing answered: the app may be starting, restarting or briefly unreachable.
      throw new CliFailure(unreachable(this.base, error), EXIT.temporary);
    }
    const text = await response.text().catch(() => '');
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (response.ok) return body as T;
    throw this.failure(response, (body ?? {}) as ApiErrorBody, options);
  }

  private failure(response: Response, body: ApiErrorBody, options: RequestOptions): Error {
    const status = response.status;
    const error = body.error ?? {};
    const advice = error.advice
      ? adviceForCli(oneLine(error.advice), this.hints, options.context)
      : undefined;
    if (status === 401) {
      return new CliFailure(
        this.key
          ? `The function key was refused by ${this.base}: pass the app's current key with --key or ${FUNCTION_KEY_ENV} (npm start prints a new one each start unless LOCAL_FUNCTION_KEY is set).`
          : `The function key is missing: pass --key <key> or set ${FUNCTION_KEY_ENV} (npm start prints it as "Function key"; in Azure: az functionapp keys list).`,
        EXIT.failed,
        status,
      );
    }
    const option = error.field ? options.fields?.[error.field] : undefined;
    if (status === 400 && option) {
      const rule = oneLine(error.message ?? 'is not valid').replace(
        new RegExp(`^${escape(error.field!)}: `),
        '',
      );
      return new UsageError(`--${option}: ${rule}${advice ? ` (${advice})` : ''}`);
    }
    const message = oneLine(error.message ?? `the server answered ${status} without an explanation`);
    const exitCode = exitCodeForStatus(status);
    const fix =
      advice ??
      (status === 404 && options.notFoundHint ? this.hints.expand(options.notFoundHint) : undefined) ??
      (exitCode === EXIT.temporary ? retryHint(response) : undefined) ??
      (status >= 500 && !error.message ? 'look at the function app log for this time' : undefined);
    return new CliFailure(
      `Failed (HTTP ${status}): ${message}${fix ? ` — ${oneLine(fix)}` : ''}`,
      exitCode,
      status,
    );
  }
}

/** Builds the client from --url and --key, else the AOB_URL and AOB_FUNCTION_KEY environment variables. */
export function clientFrom(values: OptionValues, io: CliIO): ApiClient {
  const given = typeof values.url === 'string';
  const fromEnv = io.env[URL_ENV] || undefined;
  const url = given ? (values.url as string) : (fromEnv ?? DEFAULT_URL);
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http');
  } catch {
    const source = given || !fromEnv ? '--url' : URL_ENV;
    throw new UsageError(`${source}: expected an http:// or https:// address such as ${DEFAULT_URL}`);
  }
  const key =
    typeof values.key === 'string' && values.key ? values.key : io.env[FUNCTION_KEY_ENV] || undefined;
  return new ApiClient(url, key, io, given);
}

/** "try again in 30 s" from Retry-After (seconds or an HTTP date), else a plain "try again shortly". */
function retryHint(response: Response): string {
  const header = response.headers.get('retry-after');
  const seconds =
    header === null ? NaN : /^\d+$/.test(header) ? Number(header) : (Date.parse(header) - Date.now()) / 1000;
  return Number.isFinite(seconds) && seconds > 0
    ? `temporary: try again in ${Math.ceil(seconds)} s`
    : 'temporary: try again shortly';
}

export function normalizeBase(base: string): string {
  const url = new URL(base);
  // Whatever was pasted (a setup page link with ?code=, a trailing /api/), only the app's root stays.
  const path = url.pathname.replace(/\/+$/, '').replace(/\/api$/, '');
  return `${url.origin}${path}`;
}

function unreachable(base: string, error: unknown): string {
  const cause = (error as { cause?: { code?: string } })?.cause?.code;
  const local = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:|\/|$)/.test(base);
  const hint = local
    ? 'is `npm start` running?'
    : 'is the address right (FUNCTION_BASE_URL from the deployment) and the function app running?';
  return `cannot reach ${base}: ${hint}${cause ? ` (${cause})` : ''}`;
}

/** Server messages may span lines (ConfigInvalid lists problems); the CLI reports one line. */
export function oneLine(text: string): string {
  return text
    .split(/\r?\n/)
    .map((part) => part.trim().replace(/^- /, ''))
    .filter(Boolean)
    .join('; ');
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
