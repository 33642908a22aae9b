import { azuriteConnectionString } from './azurite';

/**
 * The settings of a local host on the shared Azurite with no Key Vault or Graph behind it (the
 * vault URL answers nothing, so nothing that needs a secret can start by accident).
 */
export function offlineHostEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    AzureWebJobsStorage: azuriteConnectionString(),
    KEY_VAULT_URL: 'https://localhost:1/',
    GRAPH_CLIENT_ID: 'c',
    ...extra,
  };
}
