// The declarative function table's types. One table (./functionTable.ts) lists every function with
// its trigger and handler; ./root.ts builds it, functions/ registers it with Azure Functions and
// src/local/ runs it.
import type { HttpRequestLike, HttpResult } from '../http/types';
import type { Logger } from '../log/logger';

export interface InvocationContext {
  invocationId: string;
  functionName: string;
  log: Logger;
}

export interface HttpTrigger {
  type: 'http';
  /** Azure Functions route template under /api, e.g. `connections/{id}/authorize`. */
  route: string;
  methods: ReadonlyArray<'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'>;
  authLevel: 'anonymous' | 'function';
  handler: (request: HttpRequestLike, context: InvocationContext) => Promise<HttpResult>;
}

export interface TimerInfo {
  scheduledAt: Date;
  isPastDue: boolean;
}

export interface TimerTrigger {
  type: 'timer';
  /** Name of the NCRONTAB setting (in src/config/settings.ts) holding the schedule. */
  scheduleSetting: string;
  runOnStartup?: boolean;
  handler: (timer: TimerInfo, context: InvocationContext) => Promise<void>;
}

export interface QueueMessageMeta {
  id: string;
  dequeueCount: number;
  insertedAt?: Date;
}

export interface QueueTrigger {
  type: 'queue';
  queueName: string;
  /** Receives the decoded JSON message (or the raw string when it is not JSON). Throwing means retry, then poison. */
  handler: (message: unknown, meta: QueueMessageMeta, context: InvocationContext) => Promise<void>;
}

export interface EventGridEvent {
  id: string;
  topic?: string;
  subject: string;
  eventType: string;
  eventTime: string;
  data: unknown;
  dataVersion?: string;
}

export interface EventGridTrigger {
  type: 'eventGrid';
  handler: (event: EventGridEvent, context: InvocationContext) => Promise<void>;
}

export type Trigger = HttpTrigger | TimerTrigger | QueueTrigger | EventGridTrigger;

export interface FunctionDefinition {
  name: string;
  trigger: Trigger;
}

/**
 * How an area's functions reach their dependencies: awaited inside each handler, so the table can
 * be listed (and registered with Azure) before any setting is read or any client is built.
 */
export type DepsProvider<T> = () => Promise<T>;
