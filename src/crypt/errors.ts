// One error type for everything the crypt format can reject, with a stable `reason` so a caller
// (restore, the run index) can tell a wrong password from a damaged file without parsing messages.
// Messages never include key material or plaintext.

export type CryptErrorReason =
  /** The password is empty or the options cannot describe an rclone crypt remote. */
  | 'invalid-options'
  /** Fewer bytes than the 32-byte header. */
  | 'too-short'
  /** The first 8 bytes are not rclone's magic. */
  | 'bad-magic'
  /** The first block does not open: another password, or not our file at all. */
  | 'wrong-key'
  /** A later block does not open: its bytes were changed. */
  | 'block-auth'
  /** The file ends inside a block header, or before the size it should have. */
  | 'truncated'
  /** A size that no plaintext encrypts to. */
  | 'impossible-size'
  /** An encrypted or obfuscated name that does not decode. */
  | 'bad-name'
  /** An obscured config value that does not reveal. */
  | 'bad-obscured';

export class CryptError extends Error {
  constructor(
    readonly reason: CryptErrorReason,
    message: string,
  ) {
    super(message);
    this.name = 'CryptError';
  }
}
