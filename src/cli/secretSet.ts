// `secret set`: stores the app registration's client secret through the function app's POST
// /api/secret (or the local host's), so the value travels only over that one request and lands in
// Key Vault with its expiry. The value is read from standard input, never from the command line.
import { parseExpiry } from '../alerts/secretSet';
import { isAppError } from '../errors';
import { clientFrom, CONNECT_OPTIONS, JSON_OPTION } from './client';
import { printJson } from './format';
import { UsageError, writeLine, type CliIO, type Command } from './command';
import { readSecretInput } from './stdin';

export const secretSetCommand: Command = {
  path: ['secret', 'set'],
  summary: "Store the app registration's client secret (read from stdin) with its expiry date",
  usage: '--expires <YYYY-MM-DD> [--value-stdin] [--url <function app URL>] [--key <function key>] [--json]',
  options: {
    expires: { type: 'string', description: 'The expiry the Azure portal shows for this secret (required)' },
    'value-stdin': {
      type: 'boolean',
      description:
        'Read the secret Value from standard input (the default; it is never taken from arguments)',
    },
    ...CONNECT_OPTIONS,
    ...JSON_OPTION,
  },
  async run(values, io) {
    const expires = typeof values.expires === 'string' ? values.expires : undefined;
    try {
      parseExpiry(expires, new Date());
    } catch (error) {
      if (isAppError(error)) throw new UsageError(`--expires: ${error.message.replace(/^expiresOn: /, '')}`);
      throw error;
    }
    const client = clientFrom(values, io);

    const value = await readSecretInput(
      io,
      'Paste the client secret Value (not the Secret ID) and press Enter; it is not shown: ',
    );
    if (!value) throw new UsageError('No secret value on standard input');

    const body = await client.post<Record<string, unknown>>('secret', {
      body: { value, expiresOn: expires },
      fields: { expiresOn: 'expires' },
    });
    if (values.json) printJson(io, body);
    else printResult(io, body);
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
