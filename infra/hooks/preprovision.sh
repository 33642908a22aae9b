#!/bin/sh
# azd preprovision hook: decides whether main.bicep creates the Key Vault or recovers it.
#
# The vault's name is fixed per environment (kv-<token of subscription, resource group and
# environment>) and purge protection is on, so after `azd down` the vault stays soft-deleted for its
# retention period (90 days) and nobody can purge it. The next `azd up` of the same environment
# then meets a deleted vault of the same name, and a plain create fails. When this hook finds one it
# sets KEY_VAULT_CREATE_MODE=recover (read by infra/main.bicepparam), and the deployment brings the
# vault back with its secrets: the client secret and the connections' refresh tokens. Soft delete
# dropped the vault's role assignments and Event Grid subscription; the same deployment creates the
# role assignments again and the postdeploy hook the subscription.
set -eu

: "${AZURE_ENV_NAME:?AZURE_ENV_NAME is not set: run this through azd}"

# The name the last provision of this environment output, if azd still remembers it.
name="${KEY_VAULT_NAME:-}"
if [ -z "$name" ]; then
  # Otherwise a deleted vault of this environment, subscription and (when known) resource group: the
  # name is derived from exactly those, so a match is the vault this deployment would create.
  want=""
  if [ -n "${AZURE_SUBSCRIPTION_ID:-}" ]; then
    want="/subscriptions/${AZURE_SUBSCRIPTION_ID}/"
    if [ -n "${AZURE_RESOURCE_GROUP:-}" ]; then want="${want}resourcegroups/${AZURE_RESOURCE_GROUP}/"; fi
  fi
  want=$(printf '%s' "$want" | tr '[:upper:]' '[:lower:]')
  name=$(az keyvault list-deleted --resource-type vault \
    --query "[?properties.tags.\"azd-env-name\"=='${AZURE_ENV_NAME}'].[name, properties.vaultId]" \
    --output tsv | while read -r candidate id; do
      case "$(printf '%s' "$id" | tr '[:upper:]' '[:lower:]')" in
        *"$want"*) printf '%s\n' "$candidate"; break ;;
      esac
    done)
fi

mode=default
if [ -n "$name" ]; then
  deleted=$(az keyvault list-deleted --resource-type vault --query "[?name=='${name}'] | length(@)" --output tsv)
  if [ "${deleted:-0}" != "0" ]; then mode=recover; fi
fi

if [ "$mode" = recover ]; then
  echo "Key Vault ${name} is soft-deleted (purge protection keeps it for its retention period): this deployment recovers it, with its secrets."
else
  echo "No soft-deleted Key Vault for environment ${AZURE_ENV_NAME}: the deployment creates it."
fi
azd env set KEY_VAULT_CREATE_MODE "$mode"
