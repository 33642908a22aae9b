#!/bin/sh
# azd postdeploy hook: subscribe the secretNearExpiry function to Key Vault's SecretNearExpiry and
# SecretExpired events (infra/eventgrid.bicep). It runs after the code is deployed because Event
# Grid checks that the destination function exists. azd exports main.bicep's outputs
# (AZURE_RESOURCE_GROUP, KEY_VAULT_NAME, FUNCTION_APP_NAME) into this script's environment.
# Safe to run again: the deployment updates the topic and subscription in place. It runs on every
# `azd up`/`azd deploy`, which also re-creates the subscription after a vault was deleted and
# recovered (soft delete drops a vault's Event Grid subscriptions).
set -eu

: "${AZURE_RESOURCE_GROUP:?AZURE_RESOURCE_GROUP is not set: run azd provision first}"
: "${KEY_VAULT_NAME:?KEY_VAULT_NAME is not set: run azd provision first}"
: "${FUNCTION_APP_NAME:?FUNCTION_APP_NAME is not set: run azd provision first}"
CLIENT_SECRET_NAME="${CLIENT_SECRET_NAME:-graph-client-secret}"
# Right after a deployment the host may not have indexed the functions yet, and Event Grid refuses
# a destination function it cannot find; a few minutes of retries cover that.
ATTEMPTS="${EVENTGRID_ATTEMPTS:-10}"
DELAY_SECONDS="${EVENTGRID_RETRY_SECONDS:-30}"

subscribe() {
  az deployment group create \
    --resource-group "$AZURE_RESOURCE_GROUP" \
    --name "eventgrid-secret-near-expiry" \
    --template-file infra/eventgrid.bicep \
    --parameters keyVaultName="$KEY_VAULT_NAME" functionAppName="$FUNCTION_APP_NAME" clientSecretName="$CLIENT_SECRET_NAME" \
    --output none
}

echo "Subscribing ${FUNCTION_APP_NAME}/secretNearExpiry to Key Vault ${KEY_VAULT_NAME} expiry events..."
attempt=1
while :; do
  if subscribe; then
    echo "Done. Key Vault will push a warning 30 days before the client secret expires."
    exit 0
  fi
  if [ "$attempt" -ge "$ATTEMPTS" ]; then break; fi
  echo "Attempt $attempt of $ATTEMPTS failed (the function may not be indexed yet); retrying in ${DELAY_SECONDS}s..." >&2
  sleep "$DELAY_SECONDS"
  attempt=$((attempt + 1))
done

cat >&2 <<MANUAL
The Event Grid subscription could not be created after $ATTEMPTS attempts. Backups are not
affected; only Key Vault's own expiry push is missing (the daily check still warns). Check that
the function exists:
  az functionapp function show -g $AZURE_RESOURCE_GROUP -n $FUNCTION_APP_NAME --function-name secretNearExpiry
then create the subscription by hand:
  az deployment group create -g $AZURE_RESOURCE_GROUP -n eventgrid-secret-near-expiry -f infra/eventgrid.bicep -p keyVaultName=$KEY_VAULT_NAME functionAppName=$FUNCTION_APP_NAME clientSecretName=$CLIENT_SECRET_NAME
(or run azd deploy again). If Microsoft.EventGrid is not registered: az provider register -n Microsoft.EventGrid
MANUAL
exit 1
