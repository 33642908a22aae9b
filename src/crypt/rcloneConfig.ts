// The rclone.conf section a user pastes to read a backup with rclone alone: a crypt remote over the
// folder that holds the encrypted files, with the passwords obscured as rclone.conf keeps them.
// The text holds the passwords (obscuring is reversible by anyone): show it once, never log it.
import { CryptError } from './errors';
import type { NameOptions } from './names';
import { obscure } from './obscure';

export interface RcloneCryptRemote extends NameOptions {
  /** The underlying rclone remote and path, e.g. "onedrive:Backups/photos". */
  remote: string;
  /** Plain passwords, as given to deriveKeys. */
  password: string;
  password2?: string;
}

const NAME = /^[A-Za-z0-9_.][A-Za-z0-9_. -]*$/;

/** `[name]` and its lines, in rclone's option names, ending with a newline. */
export function rcloneConfigSection(name: string, remote: RcloneCryptRemote): string {
  if (!NAME.test(name) || name.endsWith(' '))
    throw new CryptError('invalid-options', 'not a valid rclone remote name');
  if (remote.password === '')
    throw new CryptError('invalid-options', 'an rclone crypt password must not be empty');
  if (/[\r\n]/.test(remote.remote)) throw new CryptError('invalid-options', 'the remote must be one line');
  const lines = [
    `[${name}]`,
    'type = crypt',
    `remote = ${remote.remote}`,
    `password = ${obscure(remote.password)}`,
  ];
  if (remote.password2) lines.push(`password2 = ${obscure(remote.password2)}`);
  lines.push(
    `filename_encryption = ${remote.filenameEncryption ?? 'standard'}`,
    `directory_name_encryption = ${remote.directoryNameEncryption ?? true}`,
    `filename_encoding = ${remote.filenameEncoding ?? 'base32'}`,
  );
  if (remote.suffix !== undefined) lines.push(`suffix = ${remote.suffix}`);
  return lines.join('\n') + '\n';
}
