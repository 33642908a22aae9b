// The pieces a lossless backup rests on: facts compared whatever their key order, facts read back
// only when they are facts, long values split over Table columns and joined exactly, and run index
// names that sort newest first.
import { readFacts, sameFacts, type BlobFacts } from '../../src/sources/blobFacts';
import { joinColumns, MAX_PARTS, PART_CHARS, splitColumns } from '../../src/store/longText';
import { newestRunIndex, parseRunIndexLine, runIndexFileName, runIndexLine } from '../../src/graph/runIndex';
import { newRunId } from '../../src/store/runs';

const facts: BlobFacts = {
  properties: { contentType: 'text/plain', cacheControl: '' },
  metadata: { B: '2', a: '' },
  tags: { t: 'v' },
  lastModified: '2026-01-01T00:00:00.000Z',
};

describe('blob facts', () => {
  it('are the same whatever the key order, and differ on any value, key case or unread tags', () => {
    expect(sameFacts(facts, { ...facts, metadata: { a: '', B: '2' } })).toBe(true);
    expect(sameFacts(facts, { ...facts, metadata: { b: '2', a: '' } })).toBe(false);
    expect(sameFacts(facts, { ...facts, tags: { t: 'w' } })).toBe(false);
    expect(sameFacts(facts, { ...facts, properties: { contentType: 'text/plain' } })).toBe(false);
    expect(sameFacts(facts, { ...facts, tagsUnread: true })).toBe(false);
    expect(sameFacts(undefined, facts)).toBe(false);
  });

  it('are read back only when every field has its type', () => {
    expect(readFacts(JSON.parse(JSON.stringify(facts)))).toEqual(facts);
    expect(readFacts({ ...facts, metadata: { a: 1 } })).toBeUndefined();
    expect(readFacts({ ...facts, lastModified: undefined })).toBeUndefined();
    expect(readFacts('facts')).toBeUndefined();
  });
});

describe('long Table values', () => {
  it('split over numbered columns and join back exactly, even after a merge left longer old columns', () => {
    const long = 'é😀x'.repeat(25_000);
    const columns = splitColumns('facts', long);
    expect(columns.factsParts).toBe(Math.ceil(long.length / PART_CHARS));
    expect(joinColumns(columns, 'facts')).toBe(long);
    const merged = { ...columns, ...splitColumns('facts', 'short') };
    expect(joinColumns(merged, 'facts')).toBe('short');
  });

  it('refuse a value no Table row can hold, by name', () => {
    expect(() => splitColumns('facts', 'x'.repeat(MAX_PARTS * PART_CHARS + 1))).toThrow(/facts/);
  });
});

describe('run index', () => {
  it('picks the newest run by its id, whatever the extension, ignoring other files', () => {
    const older = newRunId(new Date(Date.UTC(2026, 0, 1)));
    const newer = newRunId(new Date(Date.UTC(2026, 5, 1)));
    expect(
      newestRunIndex([runIndexFileName(older, false), runIndexFileName(newer, true), 'notes.txt', 'x.jsonl']),
    ).toBe(`${newer}.jsonl.gz`);
    expect(newestRunIndex(['notes.txt'])).toBeUndefined();
  });

  it('reads back the lines it writes and refuses lines of another shape', () => {
    const line = {
      kind: 'file',
      name: 'a',
      path: 'a',
      size: 1,
      quickXorHash: 'h',
      etag: '"e"',
      facts,
    } as const;
    expect(parseRunIndexLine(runIndexLine(line).trimEnd())).toEqual({ ...line, contentMd5: undefined });
    expect(parseRunIndexLine(JSON.stringify({ ...line, facts: { metadata: {} } }))).toBeUndefined();
    expect(
      parseRunIndexLine(JSON.stringify({ kind: 'header', format: 'other', runId: 'r' })),
    ).toBeUndefined();
    expect(parseRunIndexLine('{')).toBeUndefined();
  });
});
