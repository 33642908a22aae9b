// Encryption on the command line: `job create --encrypt rclone-crypt [...]` chooses it (once: it
// cannot change later), and `job keys <jobId>` shows the passwords and the rclone config lines to
// keep outside Azure. Passwords a person brings come from a file, never from the command line,
// where shell history and process lists would keep them.
import { readFile } from 'node:fs/promises';
import { clientFrom, CONNECT_OPTIONS, JSON_OPTION } from './client';
import {
  stringOption,
  UsageError,
  writeLine,
  writeLines,
  type Command,
  type OptionSpec,
  type OptionValues,
} from './command';
import { printJson } from './format';

export const ENCRYPTION_OPTIONS: Record<string, OptionSpec> = {
  encrypt: {
    type: 'string',
    description:
      'off (default) or rclone-crypt: encrypt files before OneDrive sees them, readable with rclone. WITHOUT THE PASSWORDS THE BACKUP IS LOST: save them with `job keys`',
  },
  'filename-encryption': {
    type: 'string',
    description: 'rclone-crypt: standard (default), obfuscate or off',
  },
  'directory-name-encryption': { type: 'string', description: 'rclone-crypt: true (default) or false' },
  'filename-encoding': { type: 'string', description: 'rclone-crypt: base32 (default), base64 or base32768' },
  'password-file': {
    type: 'string',
    description:
      'rclone-crypt: a file whose first line is the password and second line (optional) password2; default: strong ones are generated',
  },
};

/** The API's field names → these options, so a refused value names what the person typed. */
export const ENCRYPTION_FIELDS: Record<string, string> = {
  encryption: 'encrypt',
  'encryption.mode': 'encrypt',
  'encryption.filenameEncryption': 'filename-encryption',
  'encryption.directoryNameEncryption': 'directory-name-encryption',
  'encryption.filenameEncoding': 'filename-encoding',
  'encryption.password': 'password-file',
  'encryption.password2': 'password-file',
};

/** The `encryption` body field for the options given, or undefined when none was. */
export async function encryptionBody(values: OptionValues): Promise<Record<string, unknown> | undefined> {
  const mode = stringOption(values, 'encrypt');
  const detail = ['filename-encryption', 'directory-name-encryption', 'filename-encoding', 'password-file'];
  if (mode === undefined) {
    const stray = detail.find((name) => values[name] !== undefined);
    if (stray) throw new UsageError(`--${stray}: applies with --encrypt rclone-crypt only`);
    return undefined;
  }
  if (mode !== 'off' && mode !== 'rclone-crypt')
    throw new UsageError(`--encrypt: expected off or rclone-crypt, got '${mode}'`);
  const directories = stringOption(values, 'directory-name-encryption');
  if (directories !== undefined && directories !== 'true' && directories !== 'false')
    throw new UsageError(`--directory-name-encryption: expected true or false, got '${directories}'`);
  const body: Record<string, unknown> = {
    mode,
    filenameEncryption: stringOption(values, 'filename-encryption'),
    directoryNameEncryption: directories === undefined ? undefined : directories === 'true',
    filenameEncoding: stringOption(values, 'filename-encoding'),
  };
  const file = stringOption(values, 'password-file');
  if (file !== undefined) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new UsageError(
        `--password-file: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
    const [password, password2] = text.split(/\r?\n/);
    if (!password) throw new UsageError(`--password-file: ${file} has no password on its first line`);
    body.password = password;
    if (password2) body.password2 = password2;
  }
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
}

interface KeysAnswer {
  password: string;
  password2: string;
  folder: string;
  rcloneConfig: string;
  snapshotNote?: string;
  warning: string;
}

const keysCommand: Command = {
  path: ['job', 'keys'],
  summary: "Show an encrypted job's passwords and rclone config lines (keep them outside Azure)",
  usage: '[--json]',
  positionals: ['jobId'],
  options: { ...CONNECT_OPTIONS, ...JSON_OPTION },
  async run(values, io, [id]) {
    const answer = await clientFrom(values, io).post<KeysAnswer>(
      `jobs/${encodeURIComponent(id!)}/encryption/keys`,
      { body: {}, notFoundHint: 'list the jobs with `job list`' },
    );
    if (values.json) {
      printJson(io, answer);
      return 0;
    }
    // The warning goes to stderr so that stdout, redirected to a file, holds only what to keep.
    writeLine(io.stderr, `WARNING: ${answer.warning}`);
    writeLine(io.stdout, `password:  ${answer.password}`);
    writeLine(io.stdout, `password2: ${answer.password2}`);
    writeLine(io.stdout);
    writeLine(io.stdout, `# rclone config: add to rclone.conf after your OneDrive remote named "onedrive"`);
    writeLines(io.stdout, answer.rcloneConfig.trimEnd());
    if (answer.snapshotNote) writeLine(io.stdout, `# ${answer.snapshotNote}`);
    return 0;
  },
};

export const encryptionCommands: Command[] = [keysCommand];
