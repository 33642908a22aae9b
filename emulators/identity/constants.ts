// Fixed identifiers of the emulated directory. The consumer tenant id is the real, well-known id of
// the Microsoft account ("Microsoft Services") tenant: MSAL and Graph both treat it specially.

export const CONSUMER_TENANT_ID = '9188040d-6c67-4c5b-b112-36a304b66dad';
export const CONSUMER_TENANT_NAME = 'Microsoft Services';

/** The seeded work tenant ("Contoso"); also the default app's home tenant. */
export const DEFAULT_WORK_TENANT_ID = '72f988bf-0000-4000-8000-00000000c0de';

export const DEFAULT_CLIENT_ID = '3f1c2b9a-5d4e-4c7b-9a10-0e5d1b2c3a4f';
/** Shaped like a real Entra secret value (40 characters, with `~`). */
export const DEFAULT_CLIENT_SECRET = 'EmU8Q~localEmulatorSecretValue0123456789';
/** The Entra "Secret ID" shown next to the value: sending it instead of the value is a classic mistake. */
export const DEFAULT_CLIENT_SECRET_ID = 'b7e1d5c2-0a3f-4e8d-9c6b-1f2a3b4c5d6e';
export const DEFAULT_APP_NAME = 'azure-onedrive-backup';
export const DEFAULT_REDIRECT_URI = 'http://localhost:7071/api/auth/callback';

export const DEFAULT_PERSONAL_USER = {
  oid: '00000000-0000-0000-a1b2-c3d4e5f60001',
  upn: 'pat.personal@outlook.com',
  displayName: 'Pat Personal',
  accountType: 'personal' as const,
  tenantId: CONSUMER_TENANT_ID,
};

export const DEFAULT_WORK_USER = {
  oid: '6a7b8c9d-1e2f-4a3b-8c4d-5e6f7a8b9c0d',
  upn: 'wendy.work@contoso.onmicrosoft.com',
  displayName: 'Wendy Work',
  accountType: 'work' as const,
  tenantId: DEFAULT_WORK_TENANT_ID,
};

export const GRAPH_RESOURCE = 'https://graph.microsoft.com';
export const VAULT_RESOURCE = 'https://vault.azure.net';
/** Application ids of the first-party resources, as they appear in real AADSTS messages. */
export const RESOURCE_APP_IDS: Record<string, string> = {
  [GRAPH_RESOURCE]: '00000003-0000-0000-c000-000000000000',
  [VAULT_RESOURCE]: 'cfa8b339-82a2-471a-a3c9-0fc0be7a4093',
};

/** The issuer host the tokens name, as in Azure (the emulator's own URL is only for endpoints). */
export const LOGIN_HOST = 'https://login.microsoftonline.com';

export const DEFAULT_ACCESS_TOKEN_LIFETIME_SECONDS = 3600;
export const DEFAULT_CODE_LIFETIME_MS = 10 * 60 * 1000;
export const DEFAULT_REFRESH_INACTIVITY_MS = 90 * 24 * 3600 * 1000;
