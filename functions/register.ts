// Registers the function table with Azure Functions (v4 Node model): one registration per entry,
// each a thin adapter from the @azure/functions trigger shapes to the table's handler shapes.
// `app` is a parameter so a test can pass a recorder: outside the Functions host the real `app`
// runs in "test mode" and silently skips every registration.
import type {
  app as azureApp,
  EventGridEvent as AzureEventGridEvent,
  HttpRequest,
  HttpResponseInit,
  InvocationContext as AzureInvocationContext,
  Timer,
} from '@azure/functions';
import { invocationContext, invokeHttp, invokeTrigger } from '../src/app/invoke';
import type {
  FunctionDefinition,
  HttpTrigger,
  InvocationContext,
  QueueTrigger,
  TimerTrigger,
} from '../src/app/types';
import { resultHeaders, serializeBody } from '../src/http/body';
import type { HttpRequestLike } from '../src/http/types';
import { SETTINGS } from '../src/config/settings';
import { withInvocationLog } from '../src/log/invocationLog';

export type FunctionsApp = Pick<typeof azureApp, 'http' | 'timer' | 'storageQueue' | 'eventGrid'>;

/** The app setting Azure Functions reads queue triggers' storage from (identity-based or connection string). */
export const QUEUE_CONNECTION = 'AzureWebJobsStorage';

export function registerFunctions(
  app: FunctionsApp,
  functions: readonly FunctionDefinition[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): void {
  for (const definition of functions) {
    const trigger = definition.trigger;
    switch (trigger.type) {
      case 'http':
        app.http(definition.name, httpOptions(definition, trigger));
        break;
      case 'timer':
        app.timer(definition.name, {
          schedule: timerSchedule(trigger, env),
          runOnStartup: trigger.runOnStartup ?? false,
          handler: (timer: Timer, azureContext: AzureInvocationContext) =>
            runInvocation(definition, azureContext, (context) =>
              invokeTrigger(
                definition,
                { type: 'timer', timer: { scheduledAt: new Date(), isPastDue: timer.isPastDue } },
                context,
              ),
            ),
        });
        break;
      case 'queue':
        app.storageQueue(definition.name, queueOptions(definition, trigger));
        break;
      case 'eventGrid':
        app.eventGrid(definition.name, {
          handler: (event: AzureEventGridEvent, azureContext: AzureInvocationContext) =>
            runInvocation(definition, azureContext, (context) =>
              invokeTrigger(
                definition,
                {
                  type: 'eventGrid',
                  event: {
                    id: event.id,
                    topic: event.topic,
                    subject: event.subject,
                    eventType: event.eventType,
                    eventTime: event.eventTime,
                    data: event.data,
                    dataVersion: event.dataVersion,
                  },
                },
                context,
              ),
            ),
        });
        break;
    }
  }
}

/**
 * Every registered handler runs through here with its invocation's context, so whatever must
 * surround each invocation (a per-invocation log context) is one change in one place.
 */
function runInvocation<T>(
  definition: FunctionDefinition,
  azureContext: AzureInvocationContext,
  invoke: (context: InvocationContext) => Promise<T>,
): Promise<T> {
  // The product's log lines go through this invocation's context (Microsoft's Node.js guide: lines
  // written with console.* are not tied to the invocation in Application Insights).
  return withInvocationLog(azureContext, () =>
    invoke(invocationContext(definition.name, azureContext.invocationId)),
  );
}

/**
 * `%NAME%` makes the host read the schedule from the app setting, so changing it needs no redeploy.
 * When the setting is absent the host would refuse to start, so the table's default is used instead.
 */
export function timerSchedule(
  trigger: TimerTrigger,
  env: Readonly<Record<string, string | undefined>>,
  defaults: (name: string) => string | undefined = settingDefault,
): string {
  if (env[trigger.scheduleSetting]?.trim()) return `%${trigger.scheduleSetting}%`;
  const fallback = defaults(trigger.scheduleSetting);
  if (!fallback) throw new Error(`Timer setting ${trigger.scheduleSetting} is unset and has no default`);
  return fallback;
}

function settingDefault(name: string): string | undefined {
  return SETTINGS.find((s) => s.name === name)?.default;
}

function httpOptions(definition: FunctionDefinition, trigger: HttpTrigger) {
  return {
    route: trigger.route,
    methods: [...trigger.methods],
    authLevel: trigger.authLevel,
    handler: async (
      request: HttpRequest,
      azureContext: AzureInvocationContext,
    ): Promise<HttpResponseInit> => {
      const requestLike = await toRequestLike(request);
      const result = await runInvocation(definition, azureContext, (context) =>
        invokeHttp(definition, requestLike, context),
      );
      const { payload, contentType } = serializeBody(result);
      return { status: result.status, headers: resultHeaders(result, contentType), body: payload };
    },
  };
}

function queueOptions(definition: FunctionDefinition, trigger: QueueTrigger) {
  return {
    queueName: trigger.queueName,
    connection: QUEUE_CONNECTION,
    handler: (message: unknown, azureContext: AzureInvocationContext) => {
      const metadata = azureContext.triggerMetadata ?? {};
      return runInvocation(definition, azureContext, (context) =>
        invokeTrigger(
          definition,
          {
            type: 'queue',
            // The host already base64-decoded the text and parsed JSON when it could; a string that
            // is still JSON (a JSON string literal) is parsed here, as the local host does.
            message: typeof message === 'string' ? parseJsonOrText(message) : message,
            meta: {
              id: String(metadata.id ?? ''),
              dequeueCount: Number(metadata.dequeueCount ?? 1),
              insertedAt: metadata.insertionTime ? new Date(String(metadata.insertionTime)) : undefined,
            },
          },
          context,
        ),
      );
    },
  };
}

function parseJsonOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export async function toRequestLike(request: HttpRequest): Promise<HttpRequestLike> {
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => {
    headers[name.toLowerCase()] = value;
  });
  return {
    method: request.method,
    url: request.url,
    params: { ...request.params },
    query: new URLSearchParams(request.query),
    headers,
    body: await request.text(),
  };
}
