// Alert webhooks cannot be aimed at the function app's own network: in Azure mode a URL must be
// https and every address its host resolves to public (no loopback, private, shared, link-local,
// unique-local IPv6, metadata or platform address), checked when stored and again when an alert is
// sent, on the very addresses the post connects to. A name that resolved to a public address when
// stored and resolves to loopback later (DNS rebinding) reaches nothing: a listener on loopback
// stands in for the private service and must see no connection.
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createServices } from '../../src/app/services';
import { AlertNotifier } from '../../src/alerts/notifier';
import {
  webhookPost,
  type ResolvedAddress,
  type WebhookNetworkPolicy,
} from '../../src/alerts/webhookAddress';
import { memoryLister, WebhookRegistry } from '../../src/alerts/webhooks';
import { createAlertDeps } from '../../src/alerts/wiring';
import { loadConfig } from '../../src/config';
import { addressProblem } from '../../src/http/publicAddress';
import { createLogger, setLogSink, type LogSink } from '../../src/log/logger';
import { MemorySecretStore } from '../../src/secrets/secretStore';
import { azuriteConnectionString, uniqueName } from '../helpers/azurite';
import type { Alert } from '../../src/alerts/messages';

let listener: Server;
let port: number;
let connections = 0;
const lines: string[] = [];
let previousSink: LogSink;

/** DNS under the test's control: each host name answers what the map says at that moment. */
const dns = new Map<string, string[]>();
const resolve = async (host: string): Promise<ResolvedAddress[]> => {
  const addresses = dns.get(host);
  if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};
const azure: WebhookNetworkPolicy = { allowLoopback: false, resolve };

beforeAll(async () => {
  previousSink = setLogSink((line) => lines.push(line));
  listener = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((done) => listener.listen(0, '127.0.0.1', done));
  port = (listener.address() as AddressInfo).port;
});

afterAll(async () => {
  setLogSink(previousSink);
  await new Promise((done) => listener.close(done));
});

beforeEach(() => {
  connections = 0;
  lines.length = 0;
  dns.clear();
});

function registry(policy: WebhookNetworkPolicy) {
  const store = new MemorySecretStore();
  return { store, webhooks: new WebhookRegistry(store, memoryLister(store), policy) };
}

const alert: Alert = {
  event: 'alert.secret_expiry',
  severity: 'warning',
  title: 'The client secret expires soon',
  impact: 'Sign-ins stop when it expires.',
  steps: ['Rotate it.'],
  facts: [],
  fields: {},
};

describe('storing a webhook in Azure mode', () => {
  it.each([
    ['plain http', 'http://hooks.example.com/x'],
    ['loopback', 'https://127.0.0.1/x'],
    ['loopback in another IPv4 spelling', 'https://0x7f.1/x'],
    ['loopback as one number', 'https://2130706433/x'],
    ['IPv6 loopback', 'https://[::1]/x'],
    ['IPv4-mapped loopback', 'https://[::ffff:127.0.0.1]/x'],
    ['localhost', 'https://localhost/x'],
    ['a name under localhost', 'https://hooks.localhost/x'],
    ['the metadata endpoint', 'https://169.254.169.254/metadata/instance'],
    ["Azure's platform address", 'https://168.63.129.16/'],
    ['a private address', 'https://10.1.2.3/x'],
    ['another private range', 'https://172.20.0.1/x'],
    ['a home network address', 'https://192.168.1.10/x'],
    ['shared address space', 'https://100.64.0.1/x'],
    ['unique-local IPv6', 'https://[fd12:3456::1]/x'],
    ['link-local IPv6', 'https://[fe80::1]/x'],
    ['NAT64 of a private address', 'https://[64:ff9b::a01:203]/x'],
    ['the unspecified address', 'https://0.0.0.0/x'],
  ])('refuses %s and stores nothing', async (_label, url) => {
    const { store, webhooks } = registry(azure);
    await expect(webhooks.add('ops', url, 'json')).rejects.toMatchObject({
      code: 'ValidationFailed',
      field: 'url',
    });
    expect(store.versions.size).toBe(0);
  });

  it.each([
    ['a private address', ['10.0.0.7']],
    ['a public and a loopback address', ['8.8.8.8', '127.0.0.1']],
    ['a unique-local IPv6 address', ['fd00::7']],
  ])('refuses a host name that resolves to %s', async (_label, addresses) => {
    dns.set('hooks.example.com', addresses);
    const { store, webhooks } = registry(azure);
    await expect(webhooks.add('ops', 'https://hooks.example.com/x', 'json')).rejects.toMatchObject({
      field: 'url',
    });
    expect(store.versions.size).toBe(0);
  });

  it('accepts a host name that resolves to public addresses', async () => {
    dns.set('hooks.example.com', ['8.8.8.8', '2001:4860:4860::8888']);
    const { webhooks } = registry(azure);
    await expect(webhooks.add('ops', 'https://hooks.example.com/x', 'json')).resolves.toEqual({
      name: 'ops',
      format: 'json',
    });
  });

  it('is what the alert wiring uses when RUN_MODE is azure', async () => {
    const config = loadConfig({
      RUN_MODE: 'azure',
      AzureWebJobsStorage: azuriteConnectionString(),
      KEY_VAULT_URL: 'https://kv-webhooks.vault.azure.net/',
      GRAPH_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
      PUBLIC_BASE_URL: 'https://app.example.net',
      CLIENT_SECRET_NAME: uniqueName('client-secret-'),
    });
    const deps = await createAlertDeps(createServices(config, createLogger()), {
      resolve,
      tables: { alerts: uniqueName('alerts'), connections: uniqueName('conns'), jobs: uniqueName('jobs') },
    });
    // Refused before Key Vault is called (there is no vault behind this URL).
    await expect(deps.webhooks.add('ops', `http://127.0.0.1:${port}/x`, 'json')).rejects.toMatchObject({
      field: 'url',
    });
    await expect(deps.webhooks.add('ops', 'https://169.254.169.254/x', 'json')).rejects.toMatchObject({
      field: 'url',
    });
  });
});

describe('sending an alert in Azure mode', () => {
  it('refuses a name that resolved to a public address when stored and to loopback now', async () => {
    dns.set('rebind.example.com', ['8.8.8.8']);
    const { webhooks } = registry(azure);
    await webhooks.add('rebind', `https://rebind.example.com:${port}/hook`, 'json');
    dns.set('rebind.example.com', ['127.0.0.1']);
    const notifier = new AlertNotifier({ log: createLogger(), webhooks, post: webhookPost(azure) });
    await notifier.notify(alert);
    expect(connections).toBe(0);
    const failed = lines.map((l) => JSON.parse(l)).find((l) => l.event === 'alert.webhook.failed');
    expect(failed).toMatchObject({ webhook: 'rebind', error: 'WebhookAddressRefused' });
  });

  it('never posts to a loopback URL stored before these rules, even without an injected post', async () => {
    const { store, webhooks } = registry(azure);
    await store.setSecret('alert-webhook-old', `http://127.0.0.1:${port}/hook`, { tags: { format: 'json' } });
    await new AlertNotifier({ log: createLogger(), webhooks, network: azure }).notify(alert);
    expect(connections).toBe(0);
  });

  it('in local mode posts to loopback (the tests’ receivers)', async () => {
    const local: WebhookNetworkPolicy = { allowLoopback: true, resolve };
    const { webhooks } = registry(local);
    await webhooks.add('local', `http://127.0.0.1:${port}/hook`, 'json');
    await new AlertNotifier({ log: createLogger(), webhooks, network: local }).notify(alert);
    expect(connections).toBe(1);
  });
});

describe('address classes', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['10.0.0.1', 'not-public'],
    ['169.254.169.254', 'not-public'],
    ['168.63.129.16', 'not-public'],
    ['fe80::1', 'not-public'],
    ['fc00::1', 'not-public'],
    ['::ffff:192.168.0.1', 'not-public'],
    ['2002:c0a8:1::1', 'not-public'],
    ['224.0.0.1', 'not-public'],
    ['8.8.8.8', undefined],
    ['2001:4860:4860::8888', undefined],
    ['hooks.example.com', 'not-an-ip'],
  ])('%s is %s', (address, problem) => {
    expect(addressProblem(address)).toBe(problem);
  });
});
