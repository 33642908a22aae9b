// A managed identity token source in the App Service shape, so ManagedIdentityCredential from
// @azure/identity works against it unchanged: set IDENTITY_ENDPOINT to `{baseUrl}/msi/token` and
// IDENTITY_HEADER to the emulator's header secret, and the credential sends
// `GET {IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=...&client_id=...` with `X-IDENTITY-HEADER`
// ("Use managed identities for App Service and Azure Functions": the REST endpoint reference). It
// answers `{access_token, expires_on, resource, token_type, client_id}`. Only user-assigned identities
// exist here, the only kind Microsoft allows as a federated credential of an app; only the token
// exchange audiences are served, as the emulated resources accept other tokens.
import type { EmulatorServer } from '../shared/server';
import type { IdentityContext } from './context';
import type { ManagedIdentity } from './directory';

export const MANAGED_IDENTITY_PATH = '/msi/token';
/** "Microsoft Entra ID global service" audience of a managed identity token used as a federated credential. */
export const TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';
const EXCHANGE_AUDIENCES = [
  TOKEN_EXCHANGE_AUDIENCE,
  'api://AzureADTokenExchangeUSGov',
  'api://AzureADTokenExchangeChina',
];

function refuse(status: number, error: string, description: string) {
  return { status, body: { error, error_description: description } };
}

export function installManagedIdentity(
  server: EmulatorServer,
  ctx: IdentityContext,
  identityHeader: () => string,
): void {
  server.route('GET', MANAGED_IDENTITY_PATH, (req) => {
    const header = req.headers['x-identity-header'];
    if (header !== identityHeader()) {
      return refuse(401, 'invalid_request', 'The X-IDENTITY-HEADER header is missing or wrong.');
    }
    if (req.query.get('api-version') !== '2019-08-01') {
      return refuse(400, 'invalid_request', 'api-version 2019-08-01 is required.');
    }
    const resource = (req.query.get('resource') ?? '').replace(/\/\.default$/, '');
    if (!EXCHANGE_AUDIENCES.includes(resource)) {
      return refuse(
        400,
        'invalid_resource',
        `The emulator issues managed identity tokens for ${TOKEN_EXCHANGE_AUDIENCE} only.`,
      );
    }
    const identities = [...ctx.directory.managedIdentities.values()];
    const clientId = req.query.get('client_id');
    const principalId = req.query.get('principal_id') ?? req.query.get('object_id');
    let identity: ManagedIdentity | undefined;
    if (clientId) identity = identities.find((m) => m.clientId === clientId);
    else if (principalId) identity = identities.find((m) => m.principalId === principalId);
    else {
      return refuse(
        400,
        'invalid_request',
        'System-assigned identities are not modelled: only user-assigned ones can be federated credentials. Pass client_id.',
      );
    }
    if (!identity)
      return refuse(400, 'invalid_request', 'No user-assigned managed identity with that id is assigned.');
    const lifetime = ctx.settings.accessTokenLifetimeSeconds;
    const expiresOn = Math.floor(ctx.now() / 1000) + lifetime;
    return {
      status: 200,
      body: {
        access_token: ctx.minter.managedIdentityToken(identity, resource, lifetime),
        expires_on: String(expiresOn),
        resource,
        token_type: 'Bearer',
        client_id: identity.clientId,
      },
    };
  });
}
