// Calls a table entry's handler the same way for Azure Functions and the local host: one
// InvocationContext shape, one error mapping for HTTP, one log line per failed invocation.
import { randomUUID } from 'node:crypto';
import { errorResult } from '../http/errors';
import type { HttpRequestLike, HttpResult } from '../http/types';
import { createLogger } from '../log/logger';
import type {
  EventGridEvent,
  FunctionDefinition,
  InvocationContext,
  QueueMessageMeta,
  TimerInfo,
} from './types';

export function invocationContext(
  functionName: string,
  invocationId: string = randomUUID(),
): InvocationContext {
  return { invocationId, functionName, log: createLogger({ function: functionName, invocationId }) };
}

/** Runs an HTTP handler; any error becomes the mapped HTTP result rather than escaping. */
export async function invokeHttp(
  definition: FunctionDefinition,
  request: HttpRequestLike,
  context: InvocationContext = invocationContext(definition.name),
): Promise<HttpResult> {
  if (definition.trigger.type !== 'http') throw new Error(`${definition.name} is not an HTTP function`);
  try {
    return await definition.trigger.handler(request, context);
  } catch (error) {
    return errorResult(error, context.log);
  }
}

/** Runs a non-HTTP handler; errors are logged and rethrown so the host retries (queues) or records them. */
export async function invokeTrigger(
  definition: FunctionDefinition,
  input:
    | { type: 'timer'; timer: TimerInfo }
    | { type: 'queue'; message: unknown; meta: QueueMessageMeta }
    | { type: 'eventGrid'; event: EventGridEvent },
  context: InvocationContext = invocationContext(definition.name),
): Promise<void> {
  const trigger = definition.trigger;
  try {
    if (trigger.type === 'timer' && input.type === 'timer')
      return await trigger.handler(input.timer, context);
    if (trigger.type === 'queue' && input.type === 'queue')
      return await trigger.handler(input.message, input.meta, context);
    if (trigger.type === 'eventGrid' && input.type === 'eventGrid')
      return await trigger.handler(input.event, context);
  } catch (error) {
    const attempt = input.type === 'queue' ? input.meta.dequeueCount : undefined;
    context.log.error('function.failed', { trigger: trigger.type, attempt, error });
    throw error;
  }
  throw new Error(`${definition.name} has a ${trigger.type} trigger, not ${input.type}`);
}
