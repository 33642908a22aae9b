// Storage for the Functions host and the product's state: queues, tables and the Flex Consumption
// deployment container, in one account reached only by the managed identity.

@description('Storage account name (3-24 lowercase letters and digits).')
param name string

param location string
param tags object

@description('Principal id of the managed identity that gets data access.')
param principalId string

// The product's queues (DESIGN section 3), each with the -poison twin the Functions host moves
// messages to after the last retry. The host would create them on first use; creating them here
// means poison handlers can listen from the first minute and alert rules have something to watch.
var queueNames = [
  'backup-plan'
  'backup-plan-poison'
  'backup-upload'
  'backup-upload-poison'
  'restore'
  'restore-poison'
  // Written by the source account's Event Grid subscription (modules/blob-events-subscription.bicep).
  'blob-events'
  'blob-events-poison'
  'blob-events-settle'
  'blob-events-settle-poison'
]

// The state tables. The store creates any table it misses (Storage Table Data Contributor allows
// it), so this list is a head start, not a contract.
var tableNames = [
  'connections'
  'jobs'
  'runs'
  'runfiles'
  'manifest'
  'oauthstates'
  'alerts'
  'blobevents'
]

var deploymentContainerName = 'app-package'

// Built-in role ids (DESIGN section 7). Assigned on this account only, not on the resource group.
var roles = {
  blobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  queueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  tableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
}

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    // No keys, no SAS signed with keys: only Entra identities. A leaked connection string is useless.
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    // Flex Consumption without a virtual network reaches storage over the public endpoint.
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: { publicAccess: 'None' }
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [
  for queueName in queueNames: {
    parent: queueService
    name: queueName
  }
]

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [
  for tableName in tableNames: {
    parent: tableService
    name: tableName
  }
]

// Blob Data Owner (not Contributor): the Functions host keeps its keys and leases in blobs and the
// Flex deployment reads the package with this identity.
resource blobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(account.id, principalId, roles.blobDataOwner)
  scope: account
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.blobDataOwner)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource queueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(account.id, principalId, roles.queueDataContributor)
  scope: account
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.queueDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource tableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(account.id, principalId, roles.tableDataContributor)
  scope: account
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.tableDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

output name string = account.name
output id string = account.id
output deploymentContainerUrl string = '${account.properties.primaryEndpoints.blob}${deploymentContainer.name}'
