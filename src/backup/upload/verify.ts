// The last word on an upload: the driveItem Graph returned must have our size and our quickXorHash.
// Anything else is a failed file, logged at error level, never a silent success.
import { AppError } from '../../errors';
import { readDriveItem } from '../../graph/model';
import type { UploadedItem } from './types';

/** The item's id, size and hash, or an UpstreamError when the answer is not a driveItem. */
export function readItem(body: unknown): {
  id: string;
  size: number;
  quickXorHash?: string;
  eTag?: string;
  lastModifiedDateTime?: string;
} {
  const item = readDriveItem(body);
  if (!item || item.size === undefined)
    throw new AppError('UpstreamError', 'Graph finished the upload without returning the driveItem.');
  return {
    id: item.id,
    size: item.size,
    quickXorHash: item.file?.hashes?.quickXorHash,
    eTag: item.eTag,
    lastModifiedDateTime: item.fileSystemInfo?.lastModifiedDateTime,
  };
}

export function verifyItem(
  item: ReturnType<typeof readItem>,
  expectedSize: number,
  expectedHash: string,
  acceptRewrite = false,
): UploadedItem {
  if (
    acceptRewrite &&
    item.quickXorHash !== undefined &&
    (item.size !== expectedSize || item.quickXorHash !== expectedHash)
  )
    // SharePoint promoted the document's properties into it after the upload: the caller asked to
    // keep such files as the server stores them, so the server's figures are recorded, with ours.
    return {
      id: item.id,
      size: item.size,
      quickXorHash: item.quickXorHash,
      eTag: item.eTag,
      rewritten: { sentSize: expectedSize, sentQuickXorHash: expectedHash },
    };
  if (item.size !== expectedSize)
    throw new AppError(
      'HashMismatch',
      `The uploaded file has ${item.size} bytes; the source has ${expectedSize}.`,
      {
        detail: `size ${item.size} != ${expectedSize}`,
        advice: 'The copy in OneDrive is not trustworthy; the file will be uploaded again on the next run.',
      },
    );
  if (item.quickXorHash === undefined)
    throw new AppError(
      'HashMismatch',
      'Graph returned no quickXorHash for the uploaded file, so it cannot be verified.',
      {
        advice: 'The file will be uploaded and verified again on the next run.',
      },
    );
  if (item.quickXorHash !== expectedHash)
    throw new AppError(
      'HashMismatch',
      'The uploaded file does not match the source (quickXorHash differs).',
      {
        detail: `drive ${item.quickXorHash} != source ${expectedHash}`,
        advice: 'The copy in OneDrive is not trustworthy; the file will be uploaded again on the next run.',
      },
    );
  return { id: item.id, size: item.size, quickXorHash: item.quickXorHash, eTag: item.eTag };
}
