# azd postdeploy hook (Windows): same as postdeploy.sh. Subscribes the secretNearExpiry function to
# Key Vault's SecretNearExpiry and SecretExpired events once the code (and so the function) exists,
# retrying while the host has not indexed the function yet.
$ErrorActionPreference = 'Stop'

foreach ($name in 'AZURE_RESOURCE_GROUP', 'KEY_VAULT_NAME', 'FUNCTION_APP_NAME') {
  if (-not [Environment]::GetEnvironmentVariable($name)) { throw "$name is not set: run azd provision first" }
}
$secretName = if ($env:CLIENT_SECRET_NAME) { $env:CLIENT_SECRET_NAME } else { 'graph-client-secret' }
$attempts = if ($env:EVENTGRID_ATTEMPTS) { [int]$env:EVENTGRID_ATTEMPTS } else { 10 }
$delay = if ($env:EVENTGRID_RETRY_SECONDS) { [int]$env:EVENTGRID_RETRY_SECONDS } else { 30 }

Write-Host "Subscribing $($env:FUNCTION_APP_NAME)/secretNearExpiry to Key Vault $($env:KEY_VAULT_NAME) expiry events..."
for ($attempt = 1; $attempt -le $attempts; $attempt++) {
  az deployment group create `
    --resource-group $env:AZURE_RESOURCE_GROUP `
    --name 'eventgrid-secret-near-expiry' `
    --template-file infra/eventgrid.bicep `
    --parameters keyVaultName=$env:KEY_VAULT_NAME functionAppName=$env:FUNCTION_APP_NAME clientSecretName=$secretName `
    --output none
  if ($LASTEXITCODE -eq 0) {
    Write-Host 'Done. Key Vault will push a warning 30 days before the client secret expires.'
    exit 0
  }
  if ($attempt -lt $attempts) {
    Write-Warning "Attempt $attempt of $attempts failed (the function may not be indexed yet); retrying in $delay s..."
    Start-Sleep -Seconds $delay
  }
}
Write-Error @"
The Event Grid subscription could not be created after $attempts attempts. Backups are not affected;
only Key Vault's own expiry push is missing (the daily check still warns). Check that the function exists:
  az functionapp function show -g $($env:AZURE_RESOURCE_GROUP) -n $($env:FUNCTION_APP_NAME) --function-name secretNearExpiry
then create the subscription by hand:
  az deployment group create -g $($env:AZURE_RESOURCE_GROUP) -n eventgrid-secret-near-expiry -f infra/eventgrid.bicep -p keyVaultName=$($env:KEY_VAULT_NAME) functionAppName=$($env:FUNCTION_APP_NAME) clientSecretName=$secretName
(or run azd deploy again). If Microsoft.EventGrid is not registered: az provider register -n Microsoft.EventGrid
"@
exit 1
