// Child-process entry (bench/seed.ts, blobsOnDisk): gives a stopped Azurite's container
// `count` blobs by copying the record of the one blob it holds, in the Blob service's own metadata
// file, with the LokiJS that Azurite itself loads (so the file is written exactly as Azurite reads
// it). A process of its own so that the benchmark process, whose memory the planning part
// measures, never holds the file's 100 MB. Env: BLOB_LOCATION, BLOB_CONTAINER, BLOB_COUNT; prints
// one JSON line.
import path from 'node:path';
import { seedName } from './seed';

interface LokiCollection {
  find(query: object): BlobRecord[];
  insert(docs: object[]): void;
}
interface LokiDb {
  loadDatabase(options: object, done: (error?: unknown) => void): void;
  saveDatabase(done: (error?: unknown) => void): void;
  getCollection(name: string): LokiCollection | null;
}
interface BlobRecord {
  name: string;
  containerName: string;
  properties: { etag: string };
  $loki?: number;
  meta?: unknown;
}

/** Azurite's Blob metadata file and collection (its DEFAULT_BLOB_LOKI_DB_PATH and BLOBS_COLLECTION). */
const DB_FILE = '__azurite_db_blob__.json';
const BLOBS = '$BLOBS_COLLECTION$';

async function main(): Promise<void> {
  const location = process.env.BLOB_LOCATION!;
  const container = process.env.BLOB_CONTAINER!;
  const count = Number(process.env.BLOB_COUNT);
  const azuriteDir = path.dirname(require.resolve('azurite/package.json'));
  // Azurite's own copy, which has no types here.
  const loki = (await import(require.resolve('lokijs', { paths: [azuriteDir] }))) as {
    default: new (file: string) => LokiDb;
  };
  const Loki = loki.default;
  const db = new Loki(path.join(location, DB_FILE));
  await new Promise<void>((resolve, reject) => db.loadDatabase({}, (e) => (e ? reject(e) : resolve())));
  const blobs = db.getCollection(BLOBS);
  const held = blobs?.find({ containerName: container }) ?? [];
  if (held.length !== 1 || held[0].name !== seedName(0))
    throw new Error(`expected the one blob ${seedName(0)} in ${container}, found ${held.length}`);
  // Without LokiJS's own id and revision fields, so that it numbers each copy as it inserts it.
  const { $loki: _id, meta: _meta, ...template } = held[0];
  const text = JSON.stringify(template);
  // Azurite's ETags are "0x" and a 15-digit hex number it takes from the clock; each copy gets the
  // template's plus its index, so every blob has an ETag of its own as on the real service.
  const base = BigInt(JSON.parse(template.properties.etag) as string);
  const copies: object[] = [];
  for (let i = 1; i < count; i += 1) {
    const copy = JSON.parse(text) as BlobRecord;
    copy.name = seedName(i);
    copy.properties.etag = JSON.stringify(`0x${(base + BigInt(i)).toString(16).toUpperCase()}`);
    copies.push(copy);
  }
  blobs!.insert(copies);
  await new Promise<void>((resolve, reject) => db.saveDatabase((e) => (e ? reject(e) : resolve())));
  console.log(JSON.stringify({ blobs: count }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
