// The subscription that brings the source account's blob events to the app: BlobCreated and
// BlobDeleted, for blobs of the blob service, into the app's blob-events queue (a storage queue
// destination rather than a function endpoint: the queue gives the handler host.json's retries and
// poison queue, and the settle delay is just a message's visibility; no validation handshake is
// needed because nothing is called over HTTP). Delivered with the topic's own identity, so no key
// or SAS exists anywhere; what Event Grid cannot deliver within its retry policy goes to the
// dead-letter container.
//
// One subscription per source account, for every container: jobs are created at run time through
// the app, and a subscription per job would need the running app to hold write access to Event Grid
// on the source account. The handler filters by each job's container and prefix instead, and the
// scheduled run stays the safety net for anything lost.

@description('Name of the source account\'s system topic (modules/blob-events-topic.bicep).')
param topicName string

@description('Resource id of the app\'s storage account (queues and tables).')
param stateStorageAccountId string

param queueName string = 'blob-events'
param deadLetterContainerName string = 'blob-events-deadletter'

resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' existing = {
  name: topicName
}

resource subscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = {
  parent: topic
  name: 'azure-onedrive-backup'
  properties: {
    deliveryWithResourceIdentity: {
      identity: { type: 'SystemAssigned' }
      destination: {
        endpointType: 'StorageQueue'
        properties: {
          resourceId: stateStorageAccountId
          queueName: queueName
          // Seven days, the queue's own maximum for a message nobody read (the app down that long).
          queueMessageTimeToLiveInSeconds: 604800
        }
      }
    }
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: [
        'Microsoft.Storage.BlobCreated'
        'Microsoft.Storage.BlobDeleted'
      ]
      subjectBeginsWith: '/blobServices/default/containers/'
    }
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
    deadLetterWithResourceIdentity: {
      identity: { type: 'SystemAssigned' }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: stateStorageAccountId
          blobContainerName: deadLetterContainerName
        }
      }
    }
  }
}

output name string = subscription.name
