// Read access to the storage account that holds the data to back up, and write access to the
// restore target containers in it (each container only: the rest of the account stays read-only).
// Deployed at that account's resource group (which may differ from the app's).

@description('Existing storage account to back up.')
param storageAccountName string

@description('Principal id of the managed identity.')
param principalId string

@description('Containers a restore may write to; created if missing.')
param restoreTargetContainers array

// Storage Blob Data Reader (DESIGN section 7): backups only read the source.
var blobDataReader = '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'
// Storage Blob Data Contributor: a restore writes blobs (and creates the container if missing).
var blobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'

resource source 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource reader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(source.id, principalId, blobDataReader)
  scope: source
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', blobDataReader)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: source
  name: 'default'
}

resource restoreContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [
  for container in restoreTargetContainers: {
    parent: blobService
    name: container
    properties: { publicAccess: 'None' }
  }
]

resource restoreWriters 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (container, i) in restoreTargetContainers: {
    name: guid(restoreContainers[i].id, principalId, blobDataContributor)
    scope: restoreContainers[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', blobDataContributor)
      principalId: principalId
      principalType: 'ServicePrincipal'
    }
  }
]
