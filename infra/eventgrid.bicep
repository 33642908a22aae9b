// Step two, after the code is deployed: Key Vault pushes SecretNearExpiry (30 days before `exp`)
// and SecretExpired to the `secretNearExpiry` function through an Event Grid system topic.
// Separate from main.bicep because Event Grid checks that the destination function exists when
// the subscription is created; azd runs this from infra/hooks/postdeploy.* after `azd deploy`.

@description('Key Vault created by main.bicep (output KEY_VAULT_NAME).')
param keyVaultName string

@description('Function app created by main.bicep (output FUNCTION_APP_NAME).')
param functionAppName string

@description('Name of the Event Grid triggered function (DESIGN section 2).')
param functionName string = 'secretNearExpiry'

@description('Only events for this secret are delivered; others would be ignored by the function anyway.')
param clientSecretName string = 'graph-client-secret'

@description('Region of the system topic: the vault\'s region.')
param location string = resourceGroup().location

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

// A vault can have only one system topic; redeploying this template updates it in place.
resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: '${keyVaultName}-events'
  location: location
  properties: {
    source: vault.id
    topicType: 'Microsoft.KeyVault.vaults'
  }
}

resource subscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = {
  parent: topic
  name: 'secret-near-expiry'
  properties: {
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: '${site.id}/functions/${functionName}'
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: [
        'Microsoft.KeyVault.SecretNearExpiry'
        'Microsoft.KeyVault.SecretExpired'
      ]
      // The subject of a Key Vault event is the secret name: begins and ends with it = exactly it.
      subjectBeginsWith: clientSecretName
      subjectEndsWith: clientSecretName
    }
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
  }
}

output systemTopicName string = topic.name
