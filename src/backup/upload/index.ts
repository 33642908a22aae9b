// The upload engine: one file from a source into a drive, verified. See ./uploadFile.ts.
export { uploadFile } from './uploadFile';
export { quickXorAlgorithm } from './quickXor';
export { systemClock, ManualClock, type Clock } from '../../runtime/clock';
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../../runtime/retry';
export { UPLOAD_HOSTS_BY_CLOUD, assertUploadUrl, hostAllowed } from './uploadUrl';
export type * from './types';
