// Scope strings -> the resource (token audience) and the permissions the token carries. Entra issues
// one token per resource, so a request naming two resources is refused (AADSTS28000).
import { GRAPH_RESOURCE, VAULT_RESOURCE } from './constants';

export const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);
const KNOWN_RESOURCES = [GRAPH_RESOURCE, VAULT_RESOURCE];

export interface ScopeRequest {
  /** The audience of the access token. */
  resource: string;
  /** Permission names without the resource prefix, e.g. `Files.ReadWrite.All`, or `.default`. */
  permissions: string[];
  offline: boolean;
  openid: boolean;
  isDefault: boolean;
}

export type ScopeParse = { ok: true; value: ScopeRequest } | { ok: false; multipleResources: true };

export function splitScopes(scope: string | null | undefined): string[] {
  return (scope ?? '').split(/\s+/).filter(Boolean);
}

export function parseScopes(scope: string | null | undefined): ScopeParse {
  const all = splitScopes(scope);
  const resources = new Set<string>();
  const permissions: string[] = [];
  for (const item of all) {
    if (OIDC_SCOPES.has(item)) continue;
    const resource = KNOWN_RESOURCES.find((r) => item.toLowerCase().startsWith(`${r}/`));
    if (resource) {
      resources.add(resource);
      permissions.push(item.slice(resource.length + 1));
    } else if (/^[a-z]+:\/\//i.test(item)) {
      // Another resource's URI: kept whole so the mixed-resource rule still applies.
      resources.add(item.replace(/\/[^/]*$/, ''));
      permissions.push(item);
    } else {
      // Bare names are Microsoft Graph permissions, as in Entra.
      resources.add(GRAPH_RESOURCE);
      permissions.push(item);
    }
  }
  if (resources.size > 1) return { ok: false, multipleResources: true };
  return {
    ok: true,
    value: {
      resource: [...resources][0] ?? GRAPH_RESOURCE,
      permissions,
      offline: all.includes('offline_access'),
      openid: all.includes('openid'),
      isDefault: permissions.includes('.default'),
    },
  };
}
