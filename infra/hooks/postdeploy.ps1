# azd postdeploy hook (Windows): same as postdeploy.sh. Subscribes the secretNearExpiry function to
# Key Vault's SecretNearExpiry and SecretExpired events once the code (and so the function) exists.
$ErrorActionPreference = 'Stop'

foreach ($name in 'AZURE_RESOURCE_GROUP', 'KEY_VAULT_NAME', 'FUNCTION_APP_NAME') {
  if (-not [Environment]::GetEnvironmentVariable($name)) { throw "$name is not set: run azd provision first" }
}
$secretName = if ($env:CLIENT_SECRET_NAME) { $env:CLIENT_SECRET_NAME } else { 'graph-client-secret' }

Write-Host "Subscribing $($env:FUNCTION_APP_NAME)/secretNearExpiry to Key Vault $($env:KEY_VAULT_NAME) expiry events..."
az deployment group create `
  --resource-group $env:AZURE_RESOURCE_GROUP `
  --name 'eventgrid-secret-near-expiry' `
  --template-file infra/eventgrid.bicep `
  --parameters keyVaultName=$env:KEY_VAULT_NAME functionAppName=$env:FUNCTION_APP_NAME clientSecretName=$secretName `
  --output none
if ($LASTEXITCODE -ne 0) { throw 'az deployment group create failed' }
Write-Host 'Done. Key Vault will push a warning 30 days before the client secret expires.'
