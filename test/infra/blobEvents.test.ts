// infra/main.bicep's blob events, compiled by the real Bicep compiler and checked as ARM JSON: an
// Event Grid system topic on the source account (in the source's resource group), one subscription
// for BlobCreated and BlobDeleted into the app's blob-events queue, delivered and dead-lettered with
// the topic's own identity, and that identity allowed to do exactly that and nothing more.
// Shapes: https://learn.microsoft.com/azure/event-grid/handler-storage-queues and
// https://learn.microsoft.com/azure/templates/microsoft.eventgrid/systemtopics/eventsubscriptions
import { compile, formatDiagnostic, type ArmTemplate } from '../../scripts/bicep';
import { QUEUES } from '../../src/app/queues';
import {
  allResources,
  describeWithBicep,
  flat,
  ofType,
  props,
  resolveParameter,
  roleGuid,
  scopeType,
  type Json,
  type Located,
} from './arm';

const QUEUE_MESSAGE_SENDER = 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a';
const BLOB_DATA_CONTRIBUTOR = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe';

describeWithBicep('infra/main.bicep: blob events', (compiler) => {
  let template: ArmTemplate;
  let all: Located[];

  beforeAll(async () => {
    const built = await compile(compiler(), 'infra/main.bicep');
    if (!built.template)
      throw new Error(`main.bicep does not compile:\n${built.diagnostics.map(formatDiagnostic).join('\n')}`);
    template = built.template;
    all = allResources(template);
  }, 180_000);

  const deployment = (name: string): Located =>
    ofType(all, 'Microsoft.Resources/deployments').find((l) => l.resource.name === name)!;

  it('creates the source account’s system topic in the source’s resource group, with its own identity', () => {
    const module = deployment('blob-events-topic');
    expect(flat(module.resource.resourceGroup)).toContain("parameters('sourceStorageResourceGroup')");
    expect(flat(module.resource.subscriptionId)).toContain("parameters('sourceStorageSubscriptionId')");
    expect(flat(module.resource.condition)).toContain("parameters('blobEvents')");
    const [topic] = ofType(all, 'Microsoft.EventGrid/systemTopics').filter(
      (l) => l.deployment === module.resource,
    );
    expect(props(topic).topicType).toBe('Microsoft.Storage.StorageAccounts');
    expect(topic.resource.identity).toEqual({ type: 'SystemAssigned' });
    expect(resolveParameter(topic, "[parameters('storageAccountName')]")).toBe(
      "[parameters('sourceStorageAccountName')]",
    );
  });

  it('subscribes to BlobCreated and BlobDeleted of the blob service, into the blob-events queue, with a retry policy and dead letters', () => {
    const [subscription] = ofType(all, 'Microsoft.EventGrid/systemTopics/eventSubscriptions');
    const p = props(subscription);
    expect(p.eventDeliverySchema).toBe('EventGridSchema');
    const filter = p.filter as Json;
    expect([...(filter.includedEventTypes as string[])].sort()).toEqual([
      'Microsoft.Storage.BlobCreated',
      'Microsoft.Storage.BlobDeleted',
    ]);
    expect(filter.subjectBeginsWith).toBe('/blobServices/default/containers/');
    const delivery = p.deliveryWithResourceIdentity as Json;
    expect(delivery.identity).toEqual({ type: 'SystemAssigned' });
    const destination = delivery.destination as Json;
    expect(destination.endpointType).toBe('StorageQueue');
    // The queue the app's blobEvents function listens on, in the app's own storage account.
    const queueName = resolveParameter(subscription, (destination.properties as Json).queueName);
    expect(flat(queueName)).toContain("'blob-events-access'");
    const [access] = [deployment('blob-events-access')];
    expect(flat((access.resource.properties as Json).template)).toContain(QUEUES.blobEvents);
    expect(p.retryPolicy).toEqual({ maxDeliveryAttempts: 30, eventTimeToLiveInMinutes: 1440 });
    const deadLetter = p.deadLetterWithResourceIdentity as Json;
    expect(deadLetter.identity).toEqual({ type: 'SystemAssigned' });
    expect((deadLetter.deadLetterDestination as Json).endpointType).toBe('StorageBlob');
    // Created only after the topic's identity may write the queue and the dead letters.
    expect(flat(deployment('blob-events-subscription').resource.dependsOn)).toContain('blob-events-access');
  });

  it('lets the topic only add messages to the one queue and write the one dead-letter container', () => {
    const module = deployment('blob-events-access');
    const granted = ofType(all, 'Microsoft.Authorization/roleAssignments').filter(
      (l) => l.deployment === module.resource,
    );
    expect(granted.map((l) => [roleGuid(l), scopeType(l)]).sort()).toEqual(
      [
        [QUEUE_MESSAGE_SENDER, 'Microsoft.Storage/storageAccounts/queueServices/queues'],
        [BLOB_DATA_CONTRIBUTOR, 'Microsoft.Storage/storageAccounts/blobServices/containers'],
      ].sort(),
    );
    for (const l of granted) {
      expect(props(l).principalType).toBe('ServicePrincipal');
      expect(flat(resolveParameter(l, props(l).principalId))).toContain("'blob-events-topic'");
    }
    const [container] = ofType(all, 'Microsoft.Storage/storageAccounts/blobServices/containers').filter(
      (l) => l.deployment === module.resource,
    );
    expect(props(container).publicAccess).toBe('None');
  });

  it('tells the app that events are delivered, and the settle time', () => {
    const [site] = ofType(all, 'Microsoft.Web/sites');
    const settings = JSON.stringify(site.deployment?.properties ?? {});
    expect(settings).toContain('EVENTS_ENABLED');
    expect(settings).toContain('EVENTS_SETTLE_SECONDS');
    const parameters = template.parameters as Record<string, Json>;
    expect(parameters.blobEvents.defaultValue).toBe(true);
    expect(parameters.eventsSettleSeconds.defaultValue).toBe(5);
  });
});
