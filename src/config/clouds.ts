// The national clouds a connection can live in, and the endpoints each one uses. The login and
// Graph hosts are the ones Microsoft documents for each national cloud (identity platform and Graph
// "national cloud deployments"); personal Microsoft accounts exist only in the global cloud.
// LOGIN_ENDPOINT_OVERRIDE / GRAPH_ENDPOINT_OVERRIDE replace only the origin (scheme, host, port), so
// the emulators see the very paths Microsoft would.
import { validationError } from '../errors';

export type CloudName = 'global' | 'usgov' | 'usgov-dod' | 'china';

export interface CloudInfo {
  name: CloudName;
  /** Host of the Microsoft identity platform (v2 endpoints). */
  loginHost: string;
  /** Host of Microsoft Graph. */
  graphHost: string;
  /** Whether personal Microsoft accounts (tenant `consumers`) can sign in here. */
  personalAccounts: boolean;
  /** The cloud's storage DNS suffix: blob endpoints are `<account>.blob.<storageSuffix>` (Bicep's environment().suffixes.storage). */
  storageSuffix: string;
  /**
   * Audience of the managed-identity token used as a federated client assertion: the value
   * Microsoft documents for each cloud ("Configure an application to trust a managed identity").
   */
  tokenExchangeAudience: string;
}

export const CLOUDS: Readonly<Record<CloudName, CloudInfo>> = {
  global: {
    name: 'global',
    loginHost: 'login.microsoftonline.com',
    graphHost: 'graph.microsoft.com',
    personalAccounts: true,
    storageSuffix: 'core.windows.net',
    tokenExchangeAudience: 'api://AzureADTokenExchange',
  },
  usgov: {
    name: 'usgov',
    loginHost: 'login.microsoftonline.us',
    graphHost: 'graph.microsoft.us',
    personalAccounts: false,
    storageSuffix: 'core.usgovcloudapi.net',
    tokenExchangeAudience: 'api://AzureADTokenExchangeUSGov',
  },
  'usgov-dod': {
    name: 'usgov-dod',
    loginHost: 'login.microsoftonline.us',
    graphHost: 'dod-graph.microsoft.us',
    personalAccounts: false,
    storageSuffix: 'core.usgovcloudapi.net',
    tokenExchangeAudience: 'api://AzureADTokenExchangeUSGov',
  },
  china: {
    name: 'china',
    loginHost: 'login.chinacloudapi.cn',
    graphHost: 'microsoftgraph.chinacloudapi.cn',
    personalAccounts: false,
    storageSuffix: 'core.chinacloudapi.cn',
    tokenExchangeAudience: 'api://AzureADTokenExchangeChina',
  },
};

export const CLOUD_NAMES = Object.keys(CLOUDS) as CloudName[];

export function isCloudName(value: unknown): value is CloudName {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(CLOUDS, value);
}

export interface EndpointOverrides {
  /** Base URL that replaces the login origin of every cloud (the identity emulator). */
  loginEndpointOverride?: string;
  /** Base URL that replaces the Graph origin of every cloud (the Graph emulator). */
  graphEndpointOverride?: string;
}

export interface CloudEndpoints {
  cloud: CloudName;
  /** `https://{login-host}` or the override's origin, without a trailing slash. */
  loginOrigin: string;
  /** `https://{graph-host}` or the override's origin, without a trailing slash. */
  graphOrigin: string;
  /** Graph v1.0 API root, e.g. `https://graph.microsoft.com/v1.0`. */
  graphBaseUrl: string;
  /** Resource scope prefix for Graph, always the real cloud's host (tokens are issued for it). */
  graphResource: string;
  /** Audience of the managed-identity token sent as a federated client assertion in this cloud. */
  tokenExchangeAudience: string;
  authorizeUrl(tenant: string): string;
  tokenUrl(tenant: string): string;
}

function origin(url: string): string {
  // URL.origin drops any path, which is the point: an override replaces the origin only.
  return new URL(url).origin;
}

export function resolveEndpoints(cloud: CloudName, overrides: EndpointOverrides = {}): CloudEndpoints {
  const info = CLOUDS[cloud];
  if (!info) throw validationError('cloud', `one of ${CLOUD_NAMES.join(', ')}`);
  const loginOrigin = overrides.loginEndpointOverride
    ? origin(overrides.loginEndpointOverride)
    : `https://${info.loginHost}`;
  const graphOrigin = overrides.graphEndpointOverride
    ? origin(overrides.graphEndpointOverride)
    : `https://${info.graphHost}`;
  const tenantPath = (tenant: string): string => `${loginOrigin}/${encodeURIComponent(tenant)}/oauth2/v2.0`;
  return {
    cloud,
    loginOrigin,
    graphOrigin,
    graphBaseUrl: `${graphOrigin}/v1.0`,
    graphResource: `https://${info.graphHost}`,
    tokenExchangeAudience: info.tokenExchangeAudience,
    authorizeUrl: (tenant) => `${tenantPath(tenant)}/authorize`,
    tokenUrl: (tenant) => `${tenantPath(tenant)}/token`,
  };
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// A verified domain: labels of letters, digits and inner hyphens, at least one dot, alphabetic TLD.
const DOMAIN = /^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

export const TENANT_RULE =
  'common, consumers, organizations, a tenant id (GUID) or a verified domain such as contoso.onmicrosoft.com';

export function isValidTenant(tenant: unknown): tenant is string {
  if (typeof tenant !== 'string') return false;
  if (tenant === 'common' || tenant === 'consumers' || tenant === 'organizations') return true;
  return GUID.test(tenant) || DOMAIN.test(tenant);
}

/** Checks a tenant for a cloud; throws ValidationFailed naming the field and the rule. */
export function validateTenant(tenant: unknown, cloud: CloudName): string {
  if (!isValidTenant(tenant)) throw validationError('tenant', TENANT_RULE);
  if (!CLOUDS[cloud].personalAccounts && tenant === 'consumers') {
    // Sovereign clouds have no Microsoft accounts (there `common` behaves like `organizations`).
    throw validationError(
      'tenant',
      `personal Microsoft accounts exist only in the global cloud: use organizations or a tenant id for ${cloud}`,
    );
  }
  return tenant;
}
