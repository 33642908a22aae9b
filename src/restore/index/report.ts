// What a restore says about the run index against the drive: which index it used, the files the
// index lists that the drive no longer holds (lost since the backup: the restore could not bring
// them back), the files the drive holds that the index does not list (put there by a person or a
// run whose index failed), the files restored without their properties, and what no restore can
// put back. Both sides are read in row-key order and compared as they stream, so memory holds only
// the first names of each list.
import type { FileResult } from '../../store/runs';
import { encodeRowKey } from '../../store/manifest';
import type { RestoreIndexStore } from './indexStore';

/** Names listed per kind of difference; the counts are always exact. */
export const REPORT_FIRST_NAMES = 20;

/** A restored file's note when the index could not dress it (no line, another version, none kept). */
export const FACTS_NOT_APPLIED =
  'restored without its properties, metadata and tags: the run index does not describe this version';

/** Blob storage stamps every write; the original stays in the index's `lastModified`. */
export const NOT_RESTORABLE =
  'the last-modified time (Blob storage sets it when the blob is written; the run index keeps the original as facts.lastModified)';

export interface NameList {
  count: number;
  first: string[];
}

export interface RestoreReport {
  /** The index file used; absent when the folder had none (only bytes and names came back). */
  index?: string;
  indexedFiles: number;
  missingFromDrive: NameList;
  notInIndex: NameList;
  restoredWithoutProperties: NameList;
  /** Files whose tags the backup could not read (its identity lacked blobs/tags/read): none restored. */
  tagsNotBackedUp: NameList;
  unreadableIndexLines: number;
  notRestorable: string;
}

const list = (): NameList => ({ count: 0, first: [] });
/** Blob names may be 1,024 characters; the report lives in one Table property (32K characters). */
const SHOWN_NAME_CHARS = 300;
const add = (names: NameList, name: string): void => {
  names.count += 1;
  if (names.first.length < REPORT_FIRST_NAMES)
    names.first.push(name.length > SHOWN_NAME_CHARS ? `${name.slice(0, SHOWN_NAME_CHARS)}…` : name);
};

/** The report, and whether the index promised files the restore could not bring back. */
export async function restoreReport(
  store: RestoreIndexStore,
  files: (runId: string) => AsyncIterable<FileResult>,
  runId: string,
): Promise<{ report: RestoreReport; incomplete: boolean }> {
  const loaded = await store.loaded(runId);
  const report: RestoreReport = {
    index: loaded?.name,
    indexedFiles: loaded?.files ?? 0,
    missingFromDrive: list(),
    notInIndex: list(),
    restoredWithoutProperties: list(),
    tagsNotBackedUp: list(),
    unreadableIndexLines: loaded?.unreadable ?? 0,
    notRestorable: NOT_RESTORABLE,
  };
  const indexed = store.files(runId)[Symbol.asyncIterator]();
  const restored = files(runId)[Symbol.asyncIterator]();
  let a = await indexed.next();
  let b = await restored.next();
  while (!a.done || !b.done) {
    const ak = a.done ? undefined : encodeRowKey(a.value.name);
    const bk = b.done ? undefined : encodeRowKey(b.value.blobName);
    if (ak !== undefined && (bk === undefined || ak <= bk) && a.value!.facts?.tagsUnread)
      add(report.tagsNotBackedUp, a.value!.name);
    if (bk === undefined || (ak !== undefined && ak < bk)) {
      if (loaded?.name) add(report.missingFromDrive, a.value!.name);
      a = await indexed.next();
      continue;
    }
    const file = b.value!;
    if (ak !== bk && loaded?.name) add(report.notInIndex, file.blobName);
    if (file.status === 'uploaded' && file.reason === FACTS_NOT_APPLIED)
      add(report.restoredWithoutProperties, file.blobName);
    if (ak === bk) a = await indexed.next();
    b = await restored.next();
  }
  return { report, incomplete: report.missingFromDrive.count > 0 };
}
