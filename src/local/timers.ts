// Runs one timer-triggered table entry on its NCRONTAB schedule (six fields, UTC, as Azure does).
// Like the Functions host's singleton lock, a tick is skipped while the previous run still works.
import { invocationContext, invokeTrigger } from '../app/invoke';
import type { FunctionDefinition } from '../app/types';
import { nextOccurrence, parseSchedule, type Schedule } from '../config/ncrontab';
import type { Logger } from '../log/logger';

/** setTimeout's ceiling; longer waits re-arm on the way. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;
/** A tick later than this after its scheduled time reports isPastDue, as Azure does after downtime. */
const PAST_DUE_MS = 1000;

export class TimerScheduler {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  private readonly schedule: Schedule;

  constructor(
    private readonly definition: FunctionDefinition,
    expression: string,
    private readonly log: Logger,
  ) {
    if (definition.trigger.type !== 'timer') throw new Error(`${definition.name} is not a timer function`);
    this.schedule = parseSchedule(expression); // throws now, not at the first tick
  }

  start(): void {
    const trigger = this.definition.trigger;
    if (trigger.type === 'timer' && trigger.runOnStartup) this.fire(new Date());
    this.arm(new Date());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** The next occurrence strictly after `after`. */
  next(after: Date): Date {
    return nextOccurrence(this.schedule, after);
  }

  private arm(after: Date): void {
    if (this.stopped) return;
    const due = this.next(after);
    const wait = (): void => {
      const remaining = due.getTime() - Date.now();
      if (remaining > MAX_TIMEOUT_MS) {
        this.timer = setTimeout(wait, MAX_TIMEOUT_MS);
        return;
      }
      this.timer = setTimeout(
        () => {
          this.fire(due);
          // From the scheduled time, not from now: a timer that fires a hair early must not tick twice.
          this.arm(new Date(Math.max(Date.now(), due.getTime())));
        },
        Math.max(0, remaining),
      );
    };
    wait();
  }

  private fire(scheduledAt: Date): void {
    if (this.stopped) return;
    if (this.running) {
      this.log.warn('timer.skipped.stillRunning', { function: this.definition.name, scheduledAt });
      return;
    }
    const isPastDue = Date.now() - scheduledAt.getTime() > PAST_DUE_MS;
    this.running = invokeTrigger(
      this.definition,
      { type: 'timer', timer: { scheduledAt, isPastDue } },
      invocationContext(this.definition.name),
    )
      .catch(() => undefined) // logged by invokeTrigger; the next tick runs as scheduled
      .finally(() => {
        this.running = undefined;
      });
  }
}
