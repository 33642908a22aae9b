// What the source account's system topic may do in the app's storage account, and nothing more:
// add messages to the one blob-events queue (Storage Queue Data Message Sender: it can neither read
// nor delete messages, nor reach the other queues), and write dead letters into one container.

@description('The app\'s storage account (queues and tables).')
param storageAccountName string

@description('Principal id of the system topic\'s identity.')
param topicPrincipalId string

@description('Queue the subscription delivers to.')
param queueName string = 'blob-events'

@description('Container for events Event Grid gave up on.')
param deadLetterContainerName string = 'blob-events-deadletter'

// Storage Queue Data Message Sender.
var queueMessageSender = 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a'
// Storage Blob Data Contributor, on the dead-letter container only.
var blobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' existing = {
  parent: account
  name: 'default'
}

resource queue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: queueName
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: account
  name: 'default'
}

resource deadLetters 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deadLetterContainerName
  properties: { publicAccess: 'None' }
}

resource sender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(queue.id, topicPrincipalId, queueMessageSender)
  scope: queue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', queueMessageSender)
    principalId: topicPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource deadLetterWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(deadLetters.id, topicPrincipalId, blobDataContributor)
  scope: deadLetters
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', blobDataContributor)
    principalId: topicPrincipalId
    principalType: 'ServicePrincipal'
  }
}

output queueName string = queue.name
output deadLetterContainerName string = deadLetters.name
