#!/bin/sh
# azd postdeploy hook: subscribe the secretNearExpiry function to Key Vault's SecretNearExpiry and
# SecretExpired events (infra/eventgrid.bicep). It runs after the code is deployed because Event
# Grid checks that the destination function exists. azd exports main.bicep's outputs
# (AZURE_RESOURCE_GROUP, KEY_VAULT_NAME, FUNCTION_APP_NAME) into this script's environment.
# Safe to run again: the deployment updates the topic and subscription in place.
set -eu

: "${AZURE_RESOURCE_GROUP:?AZURE_RESOURCE_GROUP is not set: run azd provision first}"
: "${KEY_VAULT_NAME:?KEY_VAULT_NAME is not set: run azd provision first}"
: "${FUNCTION_APP_NAME:?FUNCTION_APP_NAME is not set: run azd provision first}"
CLIENT_SECRET_NAME="${CLIENT_SECRET_NAME:-graph-client-secret}"

echo "Subscribing ${FUNCTION_APP_NAME}/secretNearExpiry to Key Vault ${KEY_VAULT_NAME} expiry events..."
az deployment group create \
  --resource-group "$AZURE_RESOURCE_GROUP" \
  --name "eventgrid-secret-near-expiry" \
  --template-file infra/eventgrid.bicep \
  --parameters keyVaultName="$KEY_VAULT_NAME" functionAppName="$FUNCTION_APP_NAME" clientSecretName="$CLIENT_SECRET_NAME" \
  --output none
echo "Done. Key Vault will push a warning 30 days before the client secret expires."
