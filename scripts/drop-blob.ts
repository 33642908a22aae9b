// The local tour's "drop a file": writes a blob into a container of the embedded Azurite, as an
// application writing into the source would. Azurite's account and key are its public well-known
// development ones. Usage: npx tsx scripts/drop-blob.ts <Azurite blob URL from the banner> <container> <name> [text]
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { AZURITE_ACCOUNT, AZURITE_KEY } from '../emulators/azurite';

async function main(): Promise<void> {
  const [blobUrl, container, name, text] = process.argv.slice(2);
  if (!blobUrl || !container || !name) {
    console.error('Usage: npx tsx scripts/drop-blob.ts <Azurite blob URL> <container> <name> [text]');
    process.exit(2);
  }
  const service = new BlobServiceClient(
    blobUrl,
    new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY),
  );
  const body = text ?? `dropped at ${new Date().toISOString()}\n`;
  await service.getContainerClient(container).getBlockBlobClient(name).upload(body, Buffer.byteLength(body));
  console.log(`Wrote ${container}/${name} (${Buffer.byteLength(body)} bytes)`);
}

void main();
