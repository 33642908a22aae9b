// The restore target on @azure/storage-blob: one block blob, written as staged blocks and made
// visible by one commitBlockList. Until the commit nothing is visible; staged blocks survive a crash
// (the service discards uncommitted blocks after about a week, or at the next commit).
import { createHash } from 'node:crypto';
import type { BlobHTTPHeaders, BlockBlobClient, ContainerClient } from '@azure/storage-blob';
import type { BlobHeaders } from '../../sources/blobFacts';
import { AppError } from '../../errors';
import { blobNameProblem } from '../../sources/blobNames';
import { toSourceError } from '../../sources/storageErrors';
import type { ExistingBlob, RestoredFacts, RestoreTarget, StagedBlock } from '../download/types';

/** Blob metadata key for the quickXorHash verified at commit (metadata keys must be C# identifiers). */
export const HASH_METADATA_KEY = 'onedrivequickxorhash';

const statusOf = (error: unknown): number | undefined => (error as { statusCode?: number })?.statusCode;

export function blockBlobTarget(container: ContainerClient, blobName: string): RestoreTarget {
  const problem = blobNameProblem(blobName);
  if (problem) throw refusedName(blobName, container.containerName, problem);
  const blob: BlockBlobClient = container.getBlockBlobClient(blobName);
  // The client's URL is resolved like a browser's: check it still names this container and blob.
  if (blob.containerName !== container.containerName || blob.name !== blobName)
    throw refusedName(blobName, container.containerName, 'it resolves to another blob address');
  const where = { container: container.containerName, name: blobName };
  return {
    blobName,
    async properties(): Promise<ExistingBlob | undefined> {
      try {
        const p = await blob.getProperties();
        return { size: p.contentLength ?? 0, quickXorHash: p.metadata?.[HASH_METADATA_KEY] };
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw toTargetError(error, where);
      }
    },
    async uncommittedBlocks(): Promise<StagedBlock[]> {
      try {
        const list = await blob.getBlockList('uncommitted');
        return (list.uncommittedBlocks ?? []).map((b) => ({ id: b.name, size: b.size }));
      } catch (error) {
        // No blob at all (nothing staged, nothing committed).
        if (statusOf(error) === 404) return [];
        throw toTargetError(error, where);
      }
    },
    async stageBlock(id: string, data: Buffer): Promise<void> {
      try {
        // The MD5 lets the service refuse a block damaged on the way; the block's id carries the
        // hash state of these exact bytes, so they must arrive intact.
        await blob.stageBlock(id, data, data.length, {
          transactionalContentMD5: createHash('md5').update(data).digest(),
        });
      } catch (error) {
        throw toTargetError(error, where);
      }
    },
    async commit(ids, options): Promise<{ factsApplied: boolean }> {
      const send = (facts: RestoredFacts | undefined) =>
        blob.commitBlockList([...ids], {
          // The verified hash joins the blob's own metadata (it is what makes a repeated restore a no-op).
          metadata: { ...facts?.metadata, [HASH_METADATA_KEY]: options.quickXorHash },
          ...(facts ? { blobHTTPHeaders: httpHeaders(facts.properties) } : {}),
          ...(facts && Object.keys(facts.tags).length > 0 ? { tags: facts.tags } : {}),
          conditions: options.mustNotExist ? { ifNoneMatch: '*' } : undefined,
        });
      try {
        try {
          await send(options.facts);
          return { factsApplied: options.facts !== undefined };
        } catch (error) {
          // The facts come from the run index, which whoever can write to the drive can write: metadata
          // names, tags or headers Blob storage refuses (400) must not cost the file its verified bytes.
          // It is committed without them, and the file's row says its properties were not restored.
          if (!options.facts || statusOf(error) !== 400) throw error;
          await send(undefined);
          return { factsApplied: false };
        }
      } catch (error) {
        if (options.mustNotExist && (statusOf(error) === 409 || statusOf(error) === 412))
          throw new AppError(
            'Conflict',
            `The blob "${blobName}" appeared in the target container during the restore.`,
            {
              advice: 'Another writer created it; it was left as it is.',
              cause: error,
            },
          );
        throw toTargetError(error, where);
      }
    },
  };
}

function refusedName(blobName: string, container: string, why: string): AppError {
  return new AppError(
    'MessageInvalid',
    `The blob name ${JSON.stringify(blobName)} cannot be written in container "${container}": ${why}.`,
    { advice: 'A restore writes only inside its own container; the file was not restored.' },
  );
}

function httpHeaders(p: BlobHeaders): BlobHTTPHeaders {
  return {
    blobContentType: p.contentType,
    blobContentEncoding: p.contentEncoding,
    blobContentLanguage: p.contentLanguage,
    blobCacheControl: p.cacheControl,
    blobContentDisposition: p.contentDisposition,
  };
}

function toTargetError(error: unknown, where: { container: string; name: string }): AppError {
  const mapped = toSourceError(error, where);
  if (mapped.code !== 'Unauthorized') return mapped;
  // The source's advice speaks of reading; a restore writes.
  return new AppError(
    'Unauthorized',
    `Writing the blob "${where.name}" in container "${where.container}" was refused.`,
    {
      detail: mapped.detail,
      cause: error,
      advice:
        "Give the app's managed identity the Storage Blob Data Contributor (or Owner) role on the target storage account; restoring blob index tags also needs the blobs/tags/write permission, which Storage Blob Data Owner has.",
    },
  );
}
