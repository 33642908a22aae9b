// OpenID discovery documents pointing at the emulator, and the same metadata as the JSON strings
// MSAL accepts (`cloudDiscoveryMetadata`, `authorityMetadata`) so clients need no discovery calls.
import type { EmulatorServer } from '../shared/server';
import { LOGIN_HOST } from './constants';
import type { IdentityContext } from './context';

export function openIdConfiguration(baseUrl: string, tenant: string): Record<string, unknown> {
  const t = encodeURIComponent(tenant);
  const issuerTenant = ['common', 'organizations', 'consumers'].includes(tenant) ? '{tenantid}' : tenant;
  return {
    token_endpoint: `${baseUrl}/${t}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${baseUrl}/${t}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['HS256'],
    response_types_supported: ['code'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${LOGIN_HOST}/${issuerTenant}/v2.0`,
    request_uri_parameter_supported: false,
    authorization_endpoint: `${baseUrl}/${t}/oauth2/v2.0/authorize`,
    end_session_endpoint: `${baseUrl}/${t}/oauth2/v2.0/logout`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    claims_supported: [
      'sub',
      'iss',
      'aud',
      'exp',
      'iat',
      'nonce',
      'preferred_username',
      'name',
      'tid',
      'ver',
      'oid',
    ],
    tenant_region_scope: null,
    cloud_instance_name: 'microsoftonline.com',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
  };
}

export function instanceDiscovery(baseUrl: string, tenant = 'common'): Record<string, unknown> {
  const host = new URL(baseUrl).host;
  return {
    tenant_discovery_endpoint: `${baseUrl}/${tenant}/v2.0/.well-known/openid-configuration`,
    'api-version': '1.1',
    metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
  };
}

export interface MsalAuthorityOptions {
  authority: string;
  knownAuthorities: string[];
  cloudDiscoveryMetadata: string;
  authorityMetadata: string;
}

/** The `auth` options that point an MSAL client at the emulator without discovery calls. */
export function msalAuthorityOptions(baseUrl: string, tenant: string): MsalAuthorityOptions {
  return {
    authority: `${baseUrl}/${tenant}`,
    knownAuthorities: [new URL(baseUrl).host],
    cloudDiscoveryMetadata: JSON.stringify(instanceDiscovery(baseUrl, tenant)),
    authorityMetadata: JSON.stringify(openIdConfiguration(baseUrl, tenant)),
  };
}

export function installMetadata(server: EmulatorServer, ctx: IdentityContext): void {
  server.route('GET', '/:tenant/v2.0/.well-known/openid-configuration', (req) => ({
    status: 200,
    body: openIdConfiguration(ctx.baseUrl(), req.params.tenant),
  }));
  server.route('GET', '/common/discovery/instance', (req) => ({
    status: 200,
    body: instanceDiscovery(ctx.baseUrl(), tenantOf(req.query.get('authorization_endpoint'))),
  }));
  // HS256 keys are secret, so the key set is published empty: verification goes through introspection.
  server.route('GET', '/:tenant/discovery/v2.0/keys', () => ({ status: 200, body: { keys: [] } }));
}

function tenantOf(authorizationEndpoint: string | null): string {
  if (!authorizationEndpoint) return 'common';
  try {
    return new URL(authorizationEndpoint).pathname.split('/')[1] || 'common';
  } catch {
    return 'common';
  }
}
