// The local host: runs the function table without Functions Core Tools. HTTP entries on an
// http server under /api, timers on their NCRONTAB settings, queue entries by polling storage with
// host.json's semantics. In embedded mode it also brings Azurite and the Microsoft emulators. The
// table is the app's root (src/app/root.ts) built with this host's settings, as Azure builds it.
import { isIP } from 'node:net';
import type { AzuriteInstance } from '../../emulators/azurite';
import type { Emulators } from '../../emulators';
import { assertValidTable } from '../app/functionTable';
import { poisonQueueName } from '../app/queues';
import { createAppRoot, type AppRoot } from '../app/root';
import { createServices, type Services } from '../app/services';
import type { FunctionDefinition } from '../app/types';
import { loadConfig, type Config, type Env } from '../config';
import { createLogger, registerSecret, type Logger } from '../log/logger';
import { AppError } from '../errors';
import type { EmbeddedBackends } from './embedded';
import { wantsEmbedded } from './mode';
import { generateFunctionKey } from './functionKey';
import { readQueueSemantics, type QueueSemantics } from './hostJson';
import { LocalHttpServer } from './httpServer';
import { QueuePoller } from './queuePoller';
import { LocalChangeDetector } from './changeDetector';
import { accountOfConnectionString } from '../events/wiring';
import { DEMO_CONTAINER } from './seed';
import { readLocalSettings } from './settingsFile';
import { TimerScheduler } from './timers';

export interface LocalHostOptions {
  /** Settings (default: process.env over local.settings.json's Values). */
  env?: Env;
  /**
   * The table to run (default: the app's). A function gets the app's table, built with this host's
   * settings, to choose from or add to; a list runs as it is.
   */
  functions?:
    readonly FunctionDefinition[] | ((app: readonly FunctionDefinition[]) => readonly FunctionDefinition[]);
  /** HTTP port; 0 picks a free one (default: LOCAL_HOST_PORT, 7071). */
  port?: number;
  /** Force embedded mode on or off (default: on when no real settings are given). */
  embedded?: boolean;
  /** Overrides of host.json's queue semantics (tests shorten the retry delay and polling). */
  queue?: Partial<QueueSemantics> & {
    leaseSeconds?: number;
    minPollingIntervalMs?: number;
    stopGraceMs?: number;
  };
  /**
   * The local stand-in for blob events (./changeDetector.ts), on when EVENTS_ENABLED: how often it
   * lists the sources of event-driven jobs (default 2 s), or false to leave it off.
   */
  changeDetector?: { intervalMs?: number } | false;
  /**
   * EVENTS_ENABLED when the settings leave it out (npm start: on, so the tour shows a dropped file
   * copied without Run; tests leave it off unless they ask, so their runs copy what they expect).
   */
  eventsByDefault?: boolean;
  /** Copy the embedded settings into process.env, for code that reads the environment itself (npm start). */
  exportEnv?: boolean;
  log?: Logger;
}

export interface LocalHost {
  /** http://localhost:<port> (routes are under /api). */
  url: string;
  port: number;
  functionKey: string;
  config: Config;
  services: Services;
  /** The app's root over these settings and services: its table and each area's dependencies. */
  root: AppRoot;
  functions: readonly FunctionDefinition[];
  embedded: boolean;
  emulators?: Emulators;
  azurite?: AzuriteInstance;
  demoContainer?: string;
  /** Stops HTTP, timers, pollers and any embedded backends; safe to call more than once. */
  stop(): Promise<void>;
}

export async function startLocalHost(options: LocalHostOptions = {}): Promise<LocalHost> {
  const log = options.log ?? createLogger({ component: 'localhost' });
  const baseEnv: Env = options.env ?? { ...readLocalSettings(), ...process.env };
  const embedded = options.embedded ?? wantsEmbedded(baseEnv);

  // Everything started is pushed here, so a failure half-way (or stop()) unwinds it in reverse.
  const cleanups: Array<() => Promise<void> | void> = [];
  const unwind = async (): Promise<void> => {
    while (cleanups.length > 0) {
      try {
        await cleanups.pop()!();
      } catch (error) {
        log.warn('localhost.stop.failed', { error });
      }
    }
  };

  try {
    const requestedPort = options.port ?? Number(baseEnv.LOCAL_HOST_PORT?.trim() || 7071);
    // Bound first: PUBLIC_BASE_URL and the redirect URI contain the port, and port 0 (any free
    // one) is only ours once bound; a port probed free and bound after the emulators start could
    // be taken by another process in between. Requests meanwhile get 503.
    const http = new LocalHttpServer(log);
    const port = await listenOn(http, requestedPort, listenAddress(baseEnv.LOCAL_HOST_ADDRESS));
    cleanups.push(() => http.close());
    const url = `http://localhost:${port}`;
    log.info('localhost.listening', { url });

    let backends: EmbeddedBackends | undefined;
    let env: Env = baseEnv;
    if (embedded) {
      // Loaded only in embedded mode: with real settings no emulator code is needed.
      const { startEmbedded } = await import('./embedded');
      backends = await startEmbedded({
        publicBaseUrl: url,
        clientSecretName: baseEnv.CLIENT_SECRET_NAME?.trim() || undefined,
      });
      cleanups.push(() => backends!.stop());
      env = { ...baseEnv, ...backends.env };
      if (options.exportEnv) {
        const previous = Object.fromEntries(Object.keys(backends.env).map((k) => [k, process.env[k]]));
        Object.assign(process.env, backends.env);
        cleanups.push(() => {
          for (const [k, v] of Object.entries(previous))
            if (v === undefined) delete process.env[k];
            else process.env[k] = v;
        });
      }
    }

    if (options.eventsByDefault && env.EVENTS_ENABLED === undefined) env = { ...env, EVENTS_ENABLED: 'true' };
    const config = loadConfig(env);
    registerSecret(config.keyVaultTokenOverride);
    const pollersByQueue = new Map<string, QueuePoller[]>();
    const services = notifyingPollers(createServices(config, log), pollersByQueue);
    const root = createAppRoot({ config, services: () => services });
    const selected = options.functions ?? root.functions;
    const functions = typeof selected === 'function' ? selected(root.functions) : selected;
    assertValidTable(functions);

    const functionKey = config.localFunctionKey ?? generateFunctionKey();
    const semantics: QueueSemantics = { ...readQueueSemantics(), ...stripUndefined(options.queue ?? {}) };

    for (const definition of functions) {
      const trigger = definition.trigger;
      if (trigger.type === 'timer') {
        const schedule = config.settings[trigger.scheduleSetting];
        if (typeof schedule !== 'string')
          throw new Error(
            `${definition.name}: timer setting ${trigger.scheduleSetting} is not an NCRONTAB setting`,
          );
        const timer = new TimerScheduler(definition, schedule, log);
        timer.start();
        cleanups.push(() => timer.stop());
      } else if (trigger.type === 'queue') {
        const queue = await services.queue(trigger.queueName);
        const poison = await services.queue(poisonQueueName(trigger.queueName));
        const poller = new QueuePoller({
          definition,
          queue,
          poison,
          semantics,
          log,
          leaseSeconds: options.queue?.leaseSeconds,
          minPollingIntervalMs: options.queue?.minPollingIntervalMs,
          stopGraceMs: options.queue?.stopGraceMs,
        });
        poller.start();
        pollersByQueue.set(trigger.queueName, [...(pollersByQueue.get(trigger.queueName) ?? []), poller]);
        cleanups.push(() => poller.stop());
      }
    }

    if (config.mode === 'local' && config.eventsEnabled && options.changeDetector !== false) {
      const detector = new LocalChangeDetector({
        backup: root.deps.backup,
        send: (queue, message) => services.sendMessage(queue, message),
        defaultAccount: accountOfConnectionString(config.sourceConnectionString),
        intervalMs: options.changeDetector?.intervalMs ?? 2000,
        log,
      });
      detector.start();
      cleanups.push(() => detector.stop());
    }

    http.serve({ functions, functionKey });
    log.info('localhost.started', { url, embedded, functions: functions.length });

    let stopping: Promise<void> | undefined;
    return {
      url,
      port,
      functionKey,
      config,
      services,
      root,
      functions,
      embedded,
      emulators: backends?.emulators,
      azurite: backends?.azurite,
      demoContainer: backends ? DEMO_CONTAINER : undefined,
      stop: () => (stopping ??= unwind()),
    };
  } catch (error) {
    await unwind();
    throw error;
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Services whose sendMessage also tells this host's pollers of that queue to poll at once. */
function notifyingPollers(services: Services, pollers: ReadonlyMap<string, QueuePoller[]>): Services {
  return {
    ...services,
    sendMessage: async (queue, message, options) => {
      await services.sendMessage(queue, message, options);
      const wake = (): void => {
        for (const poller of pollers.get(queue) ?? []) poller.notifyMessageAdded();
      };
      // A delayed message (a settle check) wakes the pollers when it becomes visible, not at once.
      if (!options?.visibilityTimeoutSeconds) wake();
      else setTimeout(wake, options.visibilityTimeoutSeconds * 1000 + 50).unref();
    },
  };
}

/** Listens, naming the setting to change when the port is taken. */
async function listenOn(http: LocalHttpServer, port: number, address: string): Promise<number> {
  try {
    return await http.listen(port, address);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    throw new AppError('ConfigInvalid', `Port ${port} on ${address} is already in use.`, {
      field: 'LOCAL_HOST_PORT',
      advice: 'Stop what listens there, or set LOCAL_HOST_PORT to a free port.',
    });
  }
}

/**
 * Where the HTTP server listens: loopback unless LOCAL_HOST_ADDRESS asks otherwise. The local host
 * speaks plain http and holds the emulators' secrets, so reaching it from another machine must be
 * a deliberate choice. Read from the settings themselves: the server listens before they are loaded.
 */
function listenAddress(setting: string | undefined): string {
  const address = setting?.trim() || '127.0.0.1';
  if (!isIP(address))
    throw new AppError('ConfigInvalid', `LOCAL_HOST_ADDRESS: expected an IP address, got "${address}".`, {
      field: 'LOCAL_HOST_ADDRESS',
      advice: 'Leave it unset to stay on 127.0.0.1; use 0.0.0.0 only to open the local host to your network.',
    });
  return address;
}
