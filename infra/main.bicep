// azure-onedrive-backup: everything the functions need, in the user's own subscription.
//
// Deployed by `azd up` (azure.yaml) or `az deployment group create -f infra/main.bicep -p infra/main.bicepparam`.
// The Event Grid subscription for Key Vault's SecretNearExpiry is NOT here: Event Grid validates the
// destination function when the subscription is created, so it can only exist after the code is
// deployed. infra/eventgrid.bicep does that, from the azd postdeploy hook (infra/hooks/).
//
// Nothing here holds a key or a secret: every connection is by the user-assigned managed identity,
// storage refuses shared keys, Application Insights refuses instrumentation-key ingestion, and the
// client secret is put in Key Vault afterwards by the person (docs/deploy.md), never by a template.

targetScope = 'resourceGroup'

@minLength(1)
@maxLength(40)
@description('Name of the environment (azd sets it); part of the generated resource names and tags.')
param environmentName string

@description('Region for every resource. Defaults to the resource group\'s region; Flex Consumption is not offered in every region.')
param location string = resourceGroup().location

@minLength(36)
@maxLength(36)
@description('Application (client) id of the Entra app registration used to sign in to OneDrive (GRAPH_CLIENT_ID).')
param graphClientId string

@minLength(1)
@description('Default tenant for new connections: common (personal and work accounts), consumers (personal only), organizations (work only) or a tenant id.')
param graphTenant string = 'common'

@allowed(['global', 'usgov', 'usgov-dod', 'china'])
@description('Default national cloud for new connections. In a national cloud set it to that cloud (usgov, usgov-dod, china).')
param graphCloud string = 'global'

@minLength(1)
@description('Storage DNS suffix of the cloud deployed to (environment().suffixes.storage). A parameter only so the tests can compile for each cloud; leave the default.')
param storageSuffix string = environment().suffixes.storage

@minLength(1)
@maxLength(127)
@description('Name of the Key Vault secret that will hold the app registration\'s client secret.')
param clientSecretName string = 'graph-client-secret'

@description('How the app proves itself to Microsoft: secret (CLIENT_SECRET_NAME), certificate (a Key Vault certificate whose key cannot be exported; the postprovision hook creates it) or federated (this template\'s managed identity, trusted by the app registration). See docs/credentials.md.')
@allowed(['secret', 'certificate', 'federated'])
param clientCredential string = 'secret'

@description('Key Vault certificate whose key signs the client assertion (clientCredential = certificate).')
param clientCertificateName string = 'graph-client-certificate'

@minLength(3)
@description('Email address that receives the alerts (secret expiring, re-authorization needed, failed runs, poison messages).')
param alertEmail string

@minLength(3)
@maxLength(24)
@description('Storage account that holds the data to back up. The function gets Storage Blob Data Reader on it.')
param sourceStorageAccountName string

@description('Resource group of the source storage account; empty means this deployment\'s resource group.')
param sourceStorageResourceGroup string = ''

@description('Subscription of the source storage account; empty means this deployment\'s subscription.')
param sourceStorageSubscriptionId string = ''

@description('Containers of the source storage account a restore may write to. Each is created if missing and the function gets Storage Blob Data Contributor on it alone (the account itself stays read-only); a restore into any other container is refused.')
param restoreTargetContainers array = ['restore']

@description('Object id of the person (or pipeline) deploying; gets Key Vault Secrets Officer so they can store the client secret. azd fills it from AZURE_PRINCIPAL_ID. Empty grants nothing.')
param deployerPrincipalId string = ''

@allowed(['User', 'ServicePrincipal', 'Group'])
@description('Kind of principal deployerPrincipalId is.')
param deployerPrincipalType string = 'User'

@allowed(['default', 'recover'])
@description('recover: bring back this environment\'s soft-deleted Key Vault (after `azd down`, purge protection keeps it and its name). The azd preprovision hook decides.')
param keyVaultCreateMode string = 'default'

// Tuning: each mirrors a setting in src/config/settings.ts with the same default and bounds (the
// infra tests compare them, so the template and the code cannot drift apart).
@description('SCHEDULER_CRON: how often the scheduler looks for due jobs (6-field NCRONTAB, UTC). Hourly keeps an idle deployment cheap (docs/cost.md); a job starts at most this late.')
param schedulerCron string = '0 0 * * * *'

@description('SECRET_CHECK_CRON: when the daily client-secret expiry check runs (6-field NCRONTAB, UTC).')
param expiryCheckCron string = '0 0 8 * * *'

@description('SECRET_EXPIRY_THRESHOLDS_DAYS: days before expiry at which to warn, comma separated.')
param expiryWarningThresholdsDays string = '30,14,7,3,1'

@minValue(327680)
@maxValue(62914559)
@description('UPLOAD_CHUNK_BYTES: default upload-session chunk size, a multiple of 320 KiB under 60 MiB.')
param uploadChunkBytes int = 10485760

@minValue(0)
@maxValue(4194304)
@description('SIMPLE_UPLOAD_MAX_BYTES: files up to this size go in one simple PUT.')
param simpleUploadMaxBytes int = 4194304

@minValue(5)
@maxValue(3600)
@description('INVOCATION_BUDGET_SECONDS: time one queue invocation may work on a file before it queues a continuation.')
param invocationBudgetSeconds int = 480

@minValue(1)
@maxValue(5000)
@description('PLANNER_PAGE_SIZE: blobs listed per planner message.')
param plannerPageSize int = 5000

@minValue(5)
@maxValue(10080)
@description('RUN_TIMEOUT_MINUTES: a run with no progress for this long is marked timed out.')
param runTimeoutMinutes int = 720

@description('EVENTS_ENABLED: deliver the source account\'s blob events to the app (an Event Grid system topic on the source account and one subscription into the blob-events queue), so event-driven jobs copy each blob seconds after it is written.')
param blobEvents bool = true

@description('Name of the source account\'s Event Grid system topic. An account has at most one: name the existing one to reuse it.')
param sourceSystemTopicName string = '${sourceStorageAccountName}-events'

@description('Region of the source storage account (its system topic must be there); defaults to the deployment\'s.')
param sourceStorageLocation string = location

@minValue(1)
@maxValue(3600)
@description('EVENTS_SETTLE_SECONDS: how long a blob must stay unchanged after its last event before it is copied.')
param eventsSettleSeconds int = 5

@minValue(1)
@maxValue(1000)
@description('Most instances the Flex Consumption app may scale out to (caps cost and Graph throttling).')
param maximumInstanceCount int = 40

@allowed([512, 2048, 4096])
@description('Memory per instance in MB; 2048 leaves room for a few 10 MiB chunks in flight per file.')
param instanceMemoryMB int = 2048

// One token per subscription, resource group and environment keeps names globally unique and
// stable across redeployments (a changed name would orphan the vault and its secrets).
var resourceToken = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var tags = { 'azd-env-name': environmentName }
var names = {
  identity: 'id-${resourceToken}'
  storage: 'st${resourceToken}'
  keyVault: 'kv-${resourceToken}'
  logAnalytics: 'log-${resourceToken}'
  appInsights: 'appi-${resourceToken}'
  actionGroup: 'ag-${resourceToken}'
  plan: 'plan-${resourceToken}'
  functionApp: 'func-${resourceToken}'
}

// One user-assigned identity for everything (host storage, deployment package, Key Vault, source
// storage, Application Insights): it exists before the app, so every role assignment can be made
// in the same deployment, and it survives the app being recreated.
resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: names.identity
  location: location
  tags: tags
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: names.storage
    location: location
    tags: tags
    principalId: identity.properties.principalId
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    name: names.keyVault
    location: location
    tags: tags
    principalId: identity.properties.principalId
    deployerPrincipalId: deployerPrincipalId
    deployerPrincipalType: deployerPrincipalType
    createMode: keyVaultCreateMode
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    logAnalyticsName: names.logAnalytics
    appInsightsName: names.appInsights
    actionGroupName: names.actionGroup
    location: location
    tags: tags
    principalId: identity.properties.principalId
    alertEmail: alertEmail
  }
}

// The source account may live in another resource group (or subscription), so its role
// assignment is a module deployed at that resource group's scope.
module sourceAccess 'modules/source-storage-access.bicep' = {
  name: 'source-storage-access'
  scope: resourceGroup(
    empty(sourceStorageSubscriptionId) ? subscription().subscriptionId : sourceStorageSubscriptionId,
    empty(sourceStorageResourceGroup) ? resourceGroup().name : sourceStorageResourceGroup
  )
  params: {
    storageAccountName: sourceStorageAccountName
    principalId: identity.properties.principalId
    restoreTargetContainers: restoreTargetContainers
  }
}

// Blob events: the topic lives beside the source account (its resource group), the queue and the
// dead letters in the app's own storage account; the subscription is made once the topic's
// identity may write there.
var sourceScope = resourceGroup(
  empty(sourceStorageSubscriptionId) ? subscription().subscriptionId : sourceStorageSubscriptionId,
  empty(sourceStorageResourceGroup) ? resourceGroup().name : sourceStorageResourceGroup
)

module blobEventsTopic 'modules/blob-events-topic.bicep' = if (blobEvents) {
  name: 'blob-events-topic'
  scope: sourceScope
  params: {
    storageAccountName: sourceStorageAccountName
    topicName: sourceSystemTopicName
    location: sourceStorageLocation
    tags: tags
  }
}

module blobEventsAccess 'modules/blob-events-access.bicep' = if (blobEvents) {
  name: 'blob-events-access'
  params: {
    storageAccountName: storage.outputs.name
    topicPrincipalId: blobEventsTopic!.outputs.principalId
  }
}

module blobEventsSubscription 'modules/blob-events-subscription.bicep' = if (blobEvents) {
  name: 'blob-events-subscription'
  scope: sourceScope
  params: {
    topicName: blobEventsTopic!.outputs.name
    stateStorageAccountId: storage.outputs.id
    queueName: blobEventsAccess!.outputs.queueName
    deadLetterContainerName: blobEventsAccess!.outputs.deadLetterContainerName
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    planName: names.plan
    name: names.functionApp
    location: location
    tags: tags
    identityId: identity.id
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    // Every setting in src/config/settings.ts whose source is 'template'. Values are names, URLs and
    // ids only: no account key, no connection string with a key, no secret value.
    appSettings: {
      // The service-URI form of identity-based storage: the account-name form builds global-Azure
      // host names and is not supported in the national clouds.
      AzureWebJobsStorage__blobServiceUri: 'https://${storage.outputs.name}.blob.${storageSuffix}'
      AzureWebJobsStorage__queueServiceUri: 'https://${storage.outputs.name}.queue.${storageSuffix}'
      AzureWebJobsStorage__tableServiceUri: 'https://${storage.outputs.name}.table.${storageSuffix}'
      AzureWebJobsStorage__credential: 'managedidentity'
      AzureWebJobsStorage__clientId: identity.properties.clientId
      MANAGED_IDENTITY_CLIENT_ID: identity.properties.clientId
      // DefaultAzureCredential picks the user-assigned identity from this without code changes.
      AZURE_CLIENT_ID: identity.properties.clientId
      KEY_VAULT_URL: keyVault.outputs.uri
      GRAPH_CLIENT_ID: graphClientId
      GRAPH_TENANT: graphTenant
      GRAPH_CLOUD: graphCloud
      CLIENT_SECRET_NAME: clientSecretName
      CLIENT_CREDENTIAL: clientCredential
      CLIENT_CERTIFICATE_NAME: clientCertificateName
      SCHEDULER_CRON: schedulerCron
      SECRET_CHECK_CRON: expiryCheckCron
      SECRET_EXPIRY_THRESHOLDS_DAYS: expiryWarningThresholdsDays
      UPLOAD_CHUNK_BYTES: string(uploadChunkBytes)
      SIMPLE_UPLOAD_MAX_BYTES: string(simpleUploadMaxBytes)
      INVOCATION_BUDGET_SECONDS: string(invocationBudgetSeconds)
      PLANNER_PAGE_SIZE: string(plannerPageSize)
      RUN_TIMEOUT_MINUTES: string(runTimeoutMinutes)
      // Says whether this template made the subscription above (not a tuning knob of its own).
      EVENTS_ENABLED: blobEvents ? 'true' : 'false'
      EVENTS_SETTLE_SECONDS: string(eventsSettleSeconds)
      RESTORE_TARGET_CONTAINERS: join(map(restoreTargetContainers, c => '${sourceStorageAccountName}/${c}'), ',')
      // The one account the identity was granted a role on: the code sends its storage token to no other.
      SOURCE_STORAGE_ACCOUNTS: sourceStorageAccountName
      // The connection string only says where to send telemetry; with local auth disabled on the
      // component, ingestion is authorized by the identity (Monitoring Metrics Publisher).
      APPLICATIONINSIGHTS_CONNECTION_STRING: monitoring.outputs.appInsightsConnectionString
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.properties.clientId};Authorization=AAD'
      // Read by glibc's malloc, not by the code. Node's socket reads and its thread pool allocate
      // from up to 8 arenas per core by default, and an upload streams its bytes through them in
      // 64 KiB pieces: the arenas fragment and the worker's RSS creeps up with the bytes sent. Two
      // arenas keep a 4 GiB upload's peak within a few MiB of a 256 MiB one's (docs/benchmarks.md).
      MALLOC_ARENA_MAX: '2'
      // Flags for the Node.js worker, put on its command line by the Functions host. A young
      // generation of 2 MiB a semi-space instead of V8's default of up to 16: an upload allocates
      // small objects per socket read and per chunk at a high rate, V8 grows the young generation
      // to its maximum over a long upload, and the worker's RSS grew with the bytes sent (about
      // 25 MiB more for a 4 GiB blob than for 256 MiB). With 2 MiB the two peaks are within 2 MiB
      // and the upload's CPU is no higher (docs/benchmarks.md, Memory).
      languageWorkers__node__arguments: '--max-semi-space-size=2'
    }
  }
}

@description('Public base URL of the function app.')
output FUNCTION_BASE_URL string = functionApp.outputs.baseUrl

@description('The exact redirect URI to register in the app registration (Authentication, Web platform).')
output AUTH_REDIRECT_URI string = '${functionApp.outputs.baseUrl}/api/auth/callback'

@description('Key Vault that holds the client secret and refresh tokens.')
output KEY_VAULT_NAME string = keyVault.outputs.name

@description('Key Vault URL (KEY_VAULT_URL).')
output KEY_VAULT_URL string = keyVault.outputs.uri

@description('Function app name, for the postdeploy hook and `az functionapp` commands.')
output FUNCTION_APP_NAME string = functionApp.outputs.name

@description('Name of the Key Vault secret for the client secret, for the postdeploy hook\'s Event Grid filter.')
output CLIENT_SECRET_NAME string = clientSecretName

@description('Resource group of the deployment, for the postdeploy hook.')
output AZURE_RESOURCE_GROUP string = resourceGroup().name

@description('Where a restore may write (RESTORE_TARGET_CONTAINERS): account/container, comma separated.')
output RESTORE_TARGET_CONTAINERS string = join(map(restoreTargetContainers, c => '${sourceStorageAccountName}/${c}'), ',')

@description('Client id of the managed identity, to grant it access to more source accounts.')
output MANAGED_IDENTITY_CLIENT_ID string = identity.properties.clientId

@description('Principal (object) id of the managed identity, for `az role assignment create --assignee-object-id`.')
output MANAGED_IDENTITY_PRINCIPAL_ID string = identity.properties.principalId

// The certificate credential's least privilege: sign with one key and read its certificate's
// public half. The built-in Key Vault Crypto User could also decrypt, unwrap, update and back up
// every key, and Key Vault Certificate User could read certificates' secrets; this custom role has
// only the two data actions. It is assigned at the scope of that one key and that one certificate by
// infra/hooks/postprovision (the key exists only once the hook has created the certificate: ARM has
// no resource type for Key Vault certificates, so neither the certificate nor an assignment on its
// key can be declared here).
resource certificateSignerRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, 'client-certificate-signer')
  properties: {
    roleName: 'Client certificate signer ${uniqueString(resourceGroup().id)}'
    description: 'Sign with one Key Vault key and read its certificate (the client assertion of azure-onedrive-backup). Assign it at the key and certificate scope only.'
    type: 'CustomRole'
    permissions: [
      {
        actions: []
        notActions: []
        dataActions: [
          'Microsoft.KeyVault/vaults/keys/sign/action'
          'Microsoft.KeyVault/vaults/certificates/read'
        ]
        notDataActions: []
      }
    ]
    assignableScopes: [resourceGroup().id]
  }
}

@description('How the app signs in to Microsoft (the postprovision hook reads it).')
output CLIENT_CREDENTIAL string = clientCredential

@description('The Key Vault certificate the postprovision hook creates for clientCredential = certificate.')
output CLIENT_CERTIFICATE_NAME string = clientCertificateName

@description('Resource id of the vault: the hook assigns the signer role at <id>/keys/<name> and <id>/certificates/<name>.')
output KEY_VAULT_ID string = resourceId('Microsoft.KeyVault/vaults', keyVault.outputs.name)

@description('The custom role with only keys/sign and certificates/read.')
output CERTIFICATE_SIGNER_ROLE_ID string = certificateSignerRole.id

@description('Federated credential on the app registration (scenario Managed Identity): the issuer.')
output FEDERATED_CREDENTIAL_ISSUER string = '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'

@description('Federated credential: the subject, the managed identity\'s object (principal) id.')
output FEDERATED_CREDENTIAL_SUBJECT string = identity.properties.principalId

@description('Federated credential: the audience Microsoft documents for this cloud.')
output FEDERATED_CREDENTIAL_AUDIENCE string = graphCloud == 'china'
  ? 'api://AzureADTokenExchangeChina'
  : startsWith(graphCloud, 'usgov') ? 'api://AzureADTokenExchangeUSGov' : 'api://AzureADTokenExchange'
