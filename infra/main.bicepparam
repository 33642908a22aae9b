// Parameters for main.bicep, read from the environment so that `azd up` (which exports the azd
// environment's values) and a plain `az deployment group create` work from the same file.
// With azd:   azd env set GRAPH_CLIENT_ID <app id>; azd env set ALERT_EMAIL you@example.com;
//             azd env set SOURCE_STORAGE_ACCOUNT <account>   (see docs/deploy.md)
// Without:    export the same variables, then
//             az deployment group create -g <rg> -f infra/main.bicep -p infra/main.bicepparam
// The three required values have no default on purpose: when one is missing, compiling this file
// fails with the environment variable's name, before anything is deployed.
using 'main.bicep'

param environmentName = readEnvironmentVariable('AZURE_ENV_NAME', 'onedrive-backup')
param graphClientId = readEnvironmentVariable('GRAPH_CLIENT_ID')
param graphTenant = readEnvironmentVariable('GRAPH_TENANT', 'common')
param graphCloud = readEnvironmentVariable('GRAPH_CLOUD', 'global')
param alertEmail = readEnvironmentVariable('ALERT_EMAIL')
param sourceStorageAccountName = readEnvironmentVariable('SOURCE_STORAGE_ACCOUNT')
param sourceStorageResourceGroup = readEnvironmentVariable('SOURCE_STORAGE_RESOURCE_GROUP', '')
param sourceStorageSubscriptionId = readEnvironmentVariable('SOURCE_STORAGE_SUBSCRIPTION_ID', '')
// Comma separated; the default 'restore' container is created in the source account.
param restoreTargetContainers = split(readEnvironmentVariable('RESTORE_TARGET_CONTAINERS', 'restore'), ',')
// Hourly by default; `azd env set SCHEDULER_CRON '0 */5 * * * *'` for jobs due between the hours.
param schedulerCron = readEnvironmentVariable('SCHEDULER_CRON', '0 0 * * * *')
// azd sets AZURE_PRINCIPAL_ID to the signed-in user, who then may store the client secret.
param deployerPrincipalId = readEnvironmentVariable('AZURE_PRINCIPAL_ID', '')
param deployerPrincipalType = readEnvironmentVariable('AZURE_PRINCIPAL_TYPE', 'User')
// infra/hooks/preprovision.* sets this to 'recover' when the environment's vault is soft-deleted.
param keyVaultCreateMode = readEnvironmentVariable('KEY_VAULT_CREATE_MODE', 'default')
