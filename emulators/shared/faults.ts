// Fault injection shared by the emulators. A rule matches requests by method, path and host, and
// replaces the next `count` of them with a fault. Rules are plain JSON so tests in other processes
// can send them through POST /_emulator/faults.

export type FaultKind = 'status' | 'reset-request' | 'reset-response' | 'delay';

export interface FaultAction {
  kind: FaultKind;
  /** For `status`: the HTTP status to answer with. */
  status?: number;
  /** For `status`: sent as the Retry-After header. */
  retryAfterSeconds?: number;
  /** For `status`: the error code in the default `{error: {code, message}}` body. */
  code?: string;
  /** For `status`: a body to send instead of the default. */
  body?: unknown;
  /** For resets: how many body bytes pass before the socket is destroyed. */
  afterBytes?: number;
  /** Latency added before the request is handled (any kind; `delay` adds only latency). */
  delayMs?: number;
}

export interface FaultRule extends FaultAction {
  method?: string;
  /** Regular expression source matched against the request path. */
  path?: string;
  /** Host name the request must address (for example 127.0.0.1 for upload URLs). */
  host?: string;
  /** How many matching requests get the fault; default 1; Infinity (or -1 over JSON) for all. */
  count?: number;
  /** Chance that a matching request gets the fault; default 1. */
  probability?: number;
}

export interface RandomFaults {
  /** Fraction of matching requests that get a fault. */
  rate: number;
  /** Faults to pick from uniformly. */
  actions: FaultAction[];
  method?: string;
  path?: string;
  host?: string;
  /** Seed for a repeatable sequence. */
  seed?: number;
}

interface LiveRule extends FaultRule {
  remaining: number;
  pathRegex?: RegExp;
}

/** mulberry32: a tiny seeded generator so a soak's fault sequence (and its data) can be replayed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultInjector {
  readonly rules: LiveRule[] = [];
  /** How many faults of each kind were injected, e.g. `status 429`, `reset-request`. */
  readonly injected: Record<string, number> = {};
  private randomFaults?: RandomFaults & { next: () => number; pathRegex?: RegExp };

  add(rule: FaultRule): this {
    const count = rule.count === undefined ? 1 : rule.count < 0 ? Infinity : rule.count;
    this.rules.push({
      ...rule,
      kind: rule.kind ?? 'status',
      remaining: count,
      pathRegex: rule.path ? new RegExp(rule.path) : undefined,
    });
    return this;
  }

  /** Shorthand: the next `count` matching requests answer `status` (with Retry-After when given). */
  failNext(status: number, match: Omit<FaultRule, 'kind' | 'status'> = {}): this {
    return this.add({ ...match, kind: 'status', status });
  }

  random(config: RandomFaults | undefined): this {
    this.randomFaults = config
      ? {
          ...config,
          next: seeded(config.seed ?? Date.now()),
          pathRegex: config.path ? new RegExp(config.path) : undefined,
        }
      : undefined;
    return this;
  }

  clear(): void {
    this.rules.length = 0;
    this.randomFaults = undefined;
  }

  get total(): number {
    return Object.values(this.injected).reduce((a, b) => a + b, 0);
  }

  /** The fault for this request, if any; consumes one use of the matching rule. */
  take(method: string, path: string, host: string): FaultAction | undefined {
    for (const rule of this.rules) {
      if (rule.remaining <= 0) continue;
      if (!matches(rule, rule.pathRegex, method, path, host)) continue;
      if (rule.probability !== undefined && Math.random() >= rule.probability) continue;
      rule.remaining -= 1;
      return this.record(rule);
    }
    const random = this.randomFaults;
    if (random && matches(random, random.pathRegex, method, path, host) && random.next() < random.rate) {
      const action = random.actions[Math.floor(random.next() * random.actions.length)];
      return this.record(action);
    }
    return undefined;
  }

  private record(action: FaultAction): FaultAction {
    const label = action.kind === 'status' ? `status ${action.status ?? 500}` : action.kind;
    this.injected[label] = (this.injected[label] ?? 0) + 1;
    return action;
  }
}

function matches(
  rule: { method?: string; host?: string },
  pathRegex: RegExp | undefined,
  method: string,
  path: string,
  host: string,
): boolean {
  if (rule.method && rule.method.toUpperCase() !== method) return false;
  if (rule.host && rule.host !== host) return false;
  if (pathRegex && !pathRegex.test(path)) return false;
  return true;
}
