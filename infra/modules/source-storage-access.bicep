// Read access to the storage account that holds the data to back up. Deployed at that account's
// resource group (which may differ from the app's), and scoped to the account, not the group.

@description('Existing storage account to back up.')
param storageAccountName string

@description('Principal id of the managed identity.')
param principalId string

// Storage Blob Data Reader (DESIGN section 7): backups only read the source.
var blobDataReader = '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'

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
