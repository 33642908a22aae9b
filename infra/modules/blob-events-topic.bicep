// The source storage account's Event Grid system topic, with a system-assigned identity that the
// subscription delivers with (to the app's blob-events queue, and dead letters to its container).
// Deployed at the source account's resource group: a system topic lives beside its source.
// An account has at most one system topic: give the name of one that exists to reuse it.

@description('Existing storage account to back up.')
param storageAccountName string

@description('Name of the system topic (an existing one on the account is updated in place).')
param topicName string

@description('Region of the source account.')
param location string

param tags object = {}

resource source 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: topicName
  location: location
  tags: tags
  identity: { type: 'SystemAssigned' }
  properties: {
    source: source.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

output name string = topic.name
output principalId string = topic.identity.principalId
