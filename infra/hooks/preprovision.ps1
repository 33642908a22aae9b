# azd preprovision hook (Windows): same as preprovision.sh. Sets KEY_VAULT_CREATE_MODE=recover when
# this environment's Key Vault is soft-deleted (after `azd down`; purge protection keeps it), so the
# deployment recovers it with its secrets instead of failing on the taken name.
$ErrorActionPreference = 'Stop'
if (-not $env:AZURE_ENV_NAME) { throw 'AZURE_ENV_NAME is not set: run this through azd' }

$name = $env:KEY_VAULT_NAME
if (-not $name) {
  $want = ''
  if ($env:AZURE_SUBSCRIPTION_ID) {
    $want = "/subscriptions/$($env:AZURE_SUBSCRIPTION_ID)/"
    if ($env:AZURE_RESOURCE_GROUP) { $want += "resourcegroups/$($env:AZURE_RESOURCE_GROUP)/" }
  }
  $deleted = az keyvault list-deleted --resource-type vault --output json | ConvertFrom-Json
  $match = $deleted | Where-Object {
    $_.properties.tags.'azd-env-name' -eq $env:AZURE_ENV_NAME -and $_.properties.vaultId.ToLower().Contains($want.ToLower())
  } | Select-Object -First 1
  if ($match) { $name = $match.name }
}

$mode = 'default'
if ($name) {
  $count = az keyvault list-deleted --resource-type vault --query "[?name=='$name'] | length(@)" --output tsv
  if ($count -and $count -ne '0') { $mode = 'recover' }
}
if ($mode -eq 'recover') {
  Write-Host "Key Vault $name is soft-deleted (purge protection keeps it for its retention period): this deployment recovers it, with its secrets."
} else {
  Write-Host "No soft-deleted Key Vault for environment $($env:AZURE_ENV_NAME): the deployment creates it."
}
azd env set KEY_VAULT_CREATE_MODE $mode
