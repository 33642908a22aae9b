// Starts the real Azurite (Blob, Queue, Table) in memory on free ports, for tests and the local host.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

/** Azurite's published development account; not a secret. */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteInstance {
  blobUrl: string;
  queueUrl: string;
  tableUrl: string;
  connectionString: string;
  /** The (first) Azurite process. */
  pid: number;
  /** Every Azurite process: one, or one per service. */
  pids: number[];
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      if (child.exitCode !== null)
        return reject(new AzuriteExited(`Azurite exited with code ${child.exitCode}`));
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline)
          return reject(new Error(`Azurite did not listen on ${port} in ${timeoutMs} ms`));
        setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

export function azuriteConnectionString(blobUrl: string, queueUrl: string, tableUrl: string): string {
  return [
    'DefaultEndpointsProtocol=http',
    `AccountName=${AZURITE_ACCOUNT}`,
    `AccountKey=${AZURITE_KEY}`,
    `BlobEndpoint=${blobUrl}`,
    `QueueEndpoint=${queueUrl}`,
    `TableEndpoint=${tableUrl}`,
  ].join(';');
}

export interface AzuriteOptions {
  silent?: boolean;
  /**
   * Blob, Queue and Table each in a process of its own (Azurite's per-service entry points) rather
   * than all three in one. The real services never share a CPU, and one Azurite process does: a
   * benchmark that lists blobs while it sends queue messages and writes Table rows would otherwise
   * measure the three services queued behind one another on one core.
   */
  processPerService?: boolean;
  /**
   * Keep the Blob service's data in this folder instead of in memory (with a process per service
   * only), so that Azurite can be stopped and started again on what it held.
   */
  blobLocation?: string;
  /**
   * The young generation of every Azurite process, MiB a semi-space (V8's --max-semi-space-size;
   * Node's default grows to at most 16). Azurite's Blob service answers a List Blobs of 5,000 blobs
   * by building the whole answer as objects and then as XML, which outlives a small young
   * generation and is copied into the old one before it dies: at the default its Blob process spent
   * about a quarter of a 100,000-blob listing collecting garbage.
   */
  youngGenerationMiB?: number;
}

/**
 * Starts Azurite, on fresh ports again when it exits before listening: a free port is only known
 * free when it is probed, and another process (a parallel test worker starting its own Azurite or
 * emulator) can take it before Azurite binds it, which makes Azurite exit with code 1.
 */
export async function startAzurite(options: AzuriteOptions = {}): Promise<AzuriteInstance> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startAzuriteOnce(options);
    } catch (error) {
      if (attempt >= 3 || !(error instanceof AzuriteExited)) throw error;
    }
  }
}

class AzuriteExited extends Error {}

const SERVICES = ['blob', 'queue', 'table'] as const;

/** Azurite's entry point: all services, or one service's own. */
export function azuriteEntry(service?: (typeof SERVICES)[number]): string {
  const dist = path.join(path.dirname(require.resolve('azurite/package.json')), 'dist', 'src');
  return service ? path.join(dist, service, 'main.js') : path.join(dist, 'azurite.js');
}

/** How every Azurite here runs: in memory, offline, accepting any API version and header. */
export const AZURITE_FLAGS = [
  '--inMemoryPersistence',
  '--disableTelemetry',
  '--skipApiVersionCheck',
  '--loose',
];

async function startAzuriteOnce(options: AzuriteOptions): Promise<AzuriteInstance> {
  const [blobPort, queuePort, tablePort] = [await freePort(), await freePort(), await freePort()];
  const ports = [
    '--blobPort',
    String(blobPort),
    '--queuePort',
    String(queuePort),
    '--tablePort',
    String(tablePort),
  ];
  if (options.blobLocation && !options.processPerService)
    throw new Error('blobLocation needs processPerService: one process would keep every service on disk');
  const common = ['--silent', ...AZURITE_FLAGS];
  const flagsOf = (service: string): string[] =>
    service === 'blob' && options.blobLocation
      ? [...common.filter((flag) => flag !== '--inMemoryPersistence'), '--location', options.blobLocation]
      : common;
  const launches = options.processPerService
    ? SERVICES.map((service, i) => [
        azuriteEntry(service),
        ...flagsOf(service),
        ...ports.slice(2 * i, 2 * i + 2),
      ])
    : [[azuriteEntry(), ...common, ...ports]];
  const nodeFlags = options.youngGenerationMiB ? [`--max-semi-space-size=${options.youngGenerationMiB}`] : [];
  const children = launches.map((args) =>
    spawn(process.execPath, [...nodeFlags, ...args], {
      stdio: options.silent === false ? 'inherit' : 'ignore',
    }),
  );
  const killAll = (): void => {
    for (const child of children) child.kill('SIGKILL');
  };
  process.once('exit', killAll);
  const servedBy = (i: number): ChildProcess => children[options.processPerService ? i : 0];
  try {
    await Promise.all([blobPort, queuePort, tablePort].map((p, i) => waitForPort(p, servedBy(i), 30_000)));
  } catch (error) {
    killAll();
    throw error;
  }
  const blobUrl = `http://127.0.0.1:${blobPort}/${AZURITE_ACCOUNT}`;
  const queueUrl = `http://127.0.0.1:${queuePort}/${AZURITE_ACCOUNT}`;
  const tableUrl = `http://127.0.0.1:${tablePort}/${AZURITE_ACCOUNT}`;
  return {
    blobUrl,
    queueUrl,
    tableUrl,
    connectionString: azuriteConnectionString(blobUrl, queueUrl, tableUrl),
    pid: children[0].pid ?? -1,
    pids: children.map((child) => child.pid ?? -1),
    stop: async () => {
      process.removeListener('exit', killAll);
      await Promise.all(children.map((child) => stopChild(child, 3000)));
    },
  };
}

/** SIGTERM, then SIGKILL after `killAfterMs`; resolves when the child has exited. */
export function stopChild(child: ChildProcess, killAfterMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), killAfterMs).unref();
  });
}
