// What embedded mode puts in place before the app starts: the app registration's client secret in
// the Key Vault emulator (with an expiry, as the real setup records it) and a demo source container
// with a few files to back up.
import { BlobServiceClient } from '@azure/storage-blob';
import { SecretClient } from '@azure/keyvault-secrets';
import type { AccessToken, TokenCredential } from '@azure/identity';

export const DEMO_CONTAINER = 'demo-source';

/** A credential that always presents one fixed token: KEY_VAULT_TOKEN_OVERRIDE against the emulator. */
export function staticTokenCredential(token: string): TokenCredential {
  return {
    getToken: async (): Promise<AccessToken> => ({ token, expiresOnTimestamp: Date.now() + 3600_000 }),
  };
}

export async function seedClientSecret(options: {
  vaultUrl: string;
  token: string;
  name: string;
  value: string;
  expiresOn: Date;
}): Promise<void> {
  const client = new SecretClient(options.vaultUrl, staticTokenCredential(options.token), {
    // The emulator is not on *.vault.azure.net.
    disableChallengeResourceVerification: true,
  });
  await client.setSecret(options.name, options.value, {
    expiresOn: options.expiresOn,
    contentType: 'client-secret',
  });
}

export async function seedDemoSource(connectionString: string): Promise<string[]> {
  const container =
    BlobServiceClient.fromConnectionString(connectionString).getContainerClient(DEMO_CONTAINER);
  await container.createIfNotExists();
  const files: Record<string, string> = {
    'readme.txt': 'Files in this container are backed up by the local demo.\n',
    'reports/2026-01.csv': 'month,total\n2026-01,42\n',
    'reports/2026-02.csv': 'month,total\n2026-02,57\n',
    'images/pixel.svg': '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>\n',
  };
  await Promise.all(
    Object.entries(files).map(([name, text]) =>
      container.getBlockBlobClient(name).upload(text, Buffer.byteLength(text)),
    ),
  );
  return Object.keys(files);
}
