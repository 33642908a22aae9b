// rclone crypt, the format: keys, file contents and names exactly as `rclone` reads and writes
// them, so a backup made here can be restored with rclone alone. No I/O beyond the range reader
// it is handed, no dependency on any area: the upload engine, restore and the run index plug in.
export { CryptError, type CryptErrorReason } from './errors';
export { DEFAULT_SALT, deriveKeys, keysFromBytes, type CryptKeys } from './keys';
export { obscure, reveal } from './obscure';
export { NONCE_BYTES, newFileNonce, nonceAdd } from './nonce';
export { sodiumReady } from './secretbox';
export {
  BLOCK_BYTES,
  BLOCK_DATA_BYTES,
  FILE_MAGIC,
  HEADER_BYTES,
  decryptedSize,
  encryptBuffer,
  encryptedSize,
  encryptingRangeReader,
  fileHeader,
  headerNonce,
  SEAL_IN_WORKER_BYTES,
  type EncryptingReaderOptions,
  type RangeReader,
} from './fileFormat';
export {
  BlockDecryptor,
  decryptBuffer,
  decryptStream,
  decryptingTransform,
  type DecryptOptions,
} from './decrypt';
export { emeTransform, EME_MAX_BYTES, type EmeDirection } from './eme';
export { nameEncoder, type FilenameEncoding, type NameEncoder } from './nameEncoding';
export {
  createNameCipher,
  remoteNameCipher,
  type FilenameEncryption,
  type NameCipher,
  type NameOptions,
  type RemoteNameSettings,
} from './names';
export { rcloneConfigSection, type RcloneCryptRemote } from './rcloneConfig';
export { sealHere, type BlockSealer, type SealJob } from './blockSeal';
export { SealPool, closeSharedSealPool, sharedSealPool } from './sealPool';
