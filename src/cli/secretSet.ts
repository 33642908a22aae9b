// `secret set`: stores the app registration's client secret through the function app's POST
// /api/secret (or the local host's), so the value travels only over that one request and lands in
// Key Vault with its expiry. The value is read from standard input, never from the command line.
import { parseExpiry } from '../alerts/secretSet';
import { isAppError } from '../errors';
import { UsageError, writeLine, type CliIO, type Command } from './command';
import { readSecretInput } from './stdin';

export const DEFAULT_URL = 'http://localhost:7071';
export const FUNCTION_KEY_ENV = 'AOB_FUNCTION_KEY';

interface ApiError {
  error?: { code?: string; message?: string; advice?: string };
}

export const secretSetCommand: Command = {
  path: ['secret', 'set'],
  summary: "Store the app registration's client secret (read from stdin) with its expiry date",
  usage: '--expires <YYYY-MM-DD> [--value-stdin] [--url <function app URL>] [--key <function key>]',
  options: {
    expires: { type: 'string', description: 'The expiry the Azure portal shows for this secret (required)' },
    'value-stdin': {
      type: 'boolean',
      description:
        'Read the secret Value from standard input (the default; it is never taken from arguments)',
    },
    url: { type: 'string', description: `Function app or local host base URL (default ${DEFAULT_URL})` },
    key: {
      type: 'string',
      description: `Function key (default: the ${FUNCTION_KEY_ENV} environment variable)`,
    },
  },
  async run(values, io) {
    const expires = typeof values.expires === 'string' ? values.expires : undefined;
    try {
      parseExpiry(expires, new Date());
    } catch (error) {
      if (isAppError(error)) throw new UsageError(`--expires: ${error.message.replace(/^expiresOn: /, '')}`);
      throw error;
    }
    const base = (typeof values.url === 'string' ? values.url : DEFAULT_URL).replace(/\/+$/, '');
    const key = typeof values.key === 'string' ? values.key : io.env[FUNCTION_KEY_ENV];

    const value = await readSecretInput(
      io,
      'Paste the client secret Value (not the Secret ID) and press Enter; it is not shown: ',
    );
    if (!value) throw new UsageError('No secret value on standard input');

    let response: Response;
    try {
      response = await io.fetch(`${base}/api/secret`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(key ? { 'x-functions-key': key } : {}) },
        body: JSON.stringify({ value, expiresOn: expires }),
      });
    } catch {
      writeLine(io.stderr, `Could not reach ${base}: is the function app (or \`npm start\`) running?`);
      return 1;
    }
    const body = (await response.json().catch(() => ({}))) as Record<string, unknown> & ApiError;
    if (!response.ok) {
      if (response.status === 401 && !key)
        writeLine(io.stderr, `The function key is missing: pass --key or set ${FUNCTION_KEY_ENV}.`);
      writeLine(io.stderr, `Failed (HTTP ${response.status}): ${body.error?.message ?? response.statusText}`);
      if (body.error?.advice) writeLine(io.stderr, body.error.advice);
      return 1;
    }
    printResult(io, body);
    return 0;
  },
};

function printResult(io: CliIO, body: Record<string, unknown>): void {
  const app = body.appRegistration as { status?: string; message?: string } | undefined;
  writeLine(
    io.stdout,
    `Stored client secret '${String(body.secretName)}' (version ${String(body.version)}).`,
  );
  writeLine(io.stdout, `Expires ${String(body.expiresOn)}: ${String(body.daysLeft)} days left.`);
  if (app?.message)
    writeLine(
      io.stdout,
      `${app.status === 'mismatch' || app.status === 'not-found' ? 'Warning: ' : ''}${app.message}`,
    );
}
