// The settings that choose how the app proves itself to the Microsoft identity platform, kept apart
// from the main table so that other changes to settings.ts never touch them. `secret` is a client
// secret in Key Vault; `certificate` a client assertion signed by a Key Vault key that cannot be
// exported; `federated` the managed identity's token, trusted by the app registration, as the
// assertion (nothing to store, nothing that expires).
import type { SettingSpec } from './settings';

export const CLIENT_CREDENTIAL_KINDS = ['secret', 'certificate', 'federated'] as const;
export type ClientCredentialKind = (typeof CLIENT_CREDENTIAL_KINDS)[number];

export const CREDENTIAL_SETTINGS: readonly SettingSpec[] = [
  {
    name: 'CLIENT_CREDENTIAL',
    type: 'enum',
    values: CLIENT_CREDENTIAL_KINDS,
    default: 'secret',
    required: false,
    source: 'template',
    description:
      "How the app proves itself to the Microsoft identity platform: secret (the client secret in CLIENT_SECRET_NAME), certificate (a client assertion signed in Key Vault with the certificate CLIENT_CERTIFICATE_NAME, whose key cannot be exported), or federated (the user-assigned managed identity's token as the assertion; work or school tenants only). Connections with a client secret of their own keep using it. See docs/credentials.md.",
  },
  {
    name: 'CLIENT_CERTIFICATE_NAME',
    type: 'string',
    default: 'graph-client-certificate',
    required: false,
    source: 'template',
    description:
      'Key Vault certificate whose key signs the client assertion (CLIENT_CREDENTIAL=certificate); its public half must be uploaded to the app registration.',
  },
  {
    name: 'MANAGED_IDENTITY_ENDPOINT_OVERRIDE',
    type: 'url',
    required: false,
    source: 'local',
    description:
      "Managed-identity token endpoint (App Service protocol) to use instead of Azure's, for CLIENT_CREDENTIAL=federated against the identity emulator.",
  },
  {
    name: 'MANAGED_IDENTITY_ENDPOINT_HEADER',
    type: 'string',
    required: false,
    source: 'local',
    description: 'X-IDENTITY-HEADER value sent to MANAGED_IDENTITY_ENDPOINT_OVERRIDE.',
  },
];

export interface CredentialConfig {
  kind: ClientCredentialKind;
  certificateName: string;
  managedIdentityEndpointOverride?: string;
  managedIdentityEndpointHeader?: string;
}

/** The credential settings out of a loaded Config's validated values (defaults already applied). */
export function credentialConfig(settings: Readonly<Record<string, unknown>>): CredentialConfig {
  return {
    kind: (settings['CLIENT_CREDENTIAL'] as ClientCredentialKind | undefined) ?? 'secret',
    certificateName:
      (settings['CLIENT_CERTIFICATE_NAME'] as string | undefined) ?? 'graph-client-certificate',
    managedIdentityEndpointOverride: settings['MANAGED_IDENTITY_ENDPOINT_OVERRIDE'] as string | undefined,
    managedIdentityEndpointHeader: settings['MANAGED_IDENTITY_ENDPOINT_HEADER'] as string | undefined,
  };
}
