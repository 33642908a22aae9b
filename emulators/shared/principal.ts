// Who an emulated access token belongs to. The identity emulator issues tokens; Graph and Key Vault
// emulators ask it (through an `authorize` hook) who is calling.

export type AccountType = 'personal' | 'work';

export interface Principal {
  /** Object id of the user, or of the app's service principal for app-only tokens. */
  oid: string;
  tenantId: string;
  appId: string;
  /** True for client-credentials (app-only) tokens. */
  appOnly: boolean;
  accountType: AccountType;
  /** Delegated scopes (`Files.ReadWrite.All` ...) or application roles for app-only tokens. */
  scopes: string[];
  /** Audience the token was issued for: `https://graph.microsoft.com` or `https://vault.azure.net`. */
  audience: string;
  upn?: string;
  displayName?: string;
  expiresAt: number;
}

/** Given the raw bearer token, returns who it is for, or undefined when invalid or expired. */
export type Authorize = (bearerToken: string) => Principal | undefined;
