// The run index: what a backup run knew of each file beyond its bytes (properties, metadata, tags,
// last-modified, hashes), written into the backup folder as `.azure-onedrive-backup/runs/<run id>.jsonl`
// (`.jsonl.gz` when large), so a restore from OneDrive alone can put back what the drive cannot
// hold. One JSON object per line: a header, then one line per file. Written by the backup
// (src/backup/runIndexWriter.ts), read by the restore (src/restore/index/); this module is the
// format both agree on.
import { readFacts, type BlobFacts } from '../sources/blobFacts';
import { APP_FOLDER_NAME } from './names';

/** The index files' folder, relative to the backup folder (a snapshot folder for snapshot jobs). */
export const RUN_INDEX_FOLDER = `${APP_FOLDER_NAME}/runs`;

/**
 * Larger indexes are gzipped. Under it the index goes in one simple upload and a person can open it
 * in the browser; over it (about 10,000 files) the text compresses about tenfold.
 */
export const RUN_INDEX_GZIP_BYTES = 4 * 1024 * 1024;

export const RUN_INDEX_FORMAT = 'azure-onedrive-backup/run-index';

/** Run ids (13 digits counting down from the far future, then 8 hex digits) sort newest first. */
const FILE_NAME = /^(\d{13}-[0-9a-f]{8})\.jsonl(\.gz)?$/;

export function runIndexFileName(runId: string, gzip: boolean): string {
  return `${runId}.jsonl${gzip ? '.gz' : ''}`;
}

export function parseRunIndexFileName(name: string): { runId: string; gzip: boolean } | undefined {
  const match = FILE_NAME.exec(name);
  return match ? { runId: match[1], gzip: match[2] !== undefined } : undefined;
}

/** The newest index among file names (others are ignored); undefined when there is none. */
export function newestRunIndex(names: readonly string[]): string | undefined {
  let best: { name: string; runId: string } | undefined;
  for (const name of names) {
    const parsed = parseRunIndexFileName(name);
    if (parsed && (!best || parsed.runId < best.runId)) best = { name, runId: parsed.runId };
  }
  return best?.name;
}

export interface RunIndexHeader {
  kind: 'header';
  format: typeof RUN_INDEX_FORMAT;
  version: 1;
  runId: string;
  jobId: string;
  mode: 'mirror' | 'snapshot';
  container: string;
  prefix?: string;
  writtenAt: string;
}

export interface RunIndexFile {
  kind: 'file';
  /** The blob name, exactly. */
  name: string;
  /** Drive path below the backup folder (decoded, as OneDrive shows it). */
  path: string;
  size: number;
  contentMd5?: string;
  quickXorHash: string;
  etag: string;
  /** Absent when the manifest row predates the index (the restore then reports it). */
  facts?: BlobFacts;
}

export type RunIndexLine = RunIndexHeader | RunIndexFile;

export function runIndexLine(line: RunIndexLine): string {
  return `${JSON.stringify(line)}\n`;
}

/** One line read back; undefined for a line that is not one of ours (a restore reports, never trusts it). */
export function parseRunIndexLine(text: string): RunIndexLine | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!value || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  if (v.kind === 'header')
    return v.format === RUN_INDEX_FORMAT && typeof v.runId === 'string'
      ? (v as unknown as RunIndexHeader)
      : undefined;
  if (
    v.kind !== 'file' ||
    typeof v.name !== 'string' ||
    typeof v.path !== 'string' ||
    typeof v.size !== 'number' ||
    typeof v.quickXorHash !== 'string'
  )
    return undefined;
  const facts = v.facts === undefined ? undefined : readFacts(v.facts);
  if (v.facts !== undefined && !facts) return undefined;
  return {
    kind: 'file',
    name: v.name,
    path: v.path,
    size: v.size,
    contentMd5: typeof v.contentMd5 === 'string' ? v.contentMd5 : undefined,
    quickXorHash: v.quickXorHash,
    etag: typeof v.etag === 'string' ? v.etag : '',
    facts,
  };
}
