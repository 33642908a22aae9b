// The job's trigger: what starts its backups, its default (events when the deployment delivers
// them), its field-named refusals, and when events began (the safety net's reference).
import { AppError } from '../../../src/errors';
import { eventDriven, validateJob, type Job } from '../../../src/store/jobs';

const NOW = new Date('2026-12-01T10:00:00Z');
const input = {
  name: 'n',
  connectionId: 'c',
  source: { container: 'backups' },
  destinationFolder: 'f',
  schedule: '0 0 2 * * *',
};

function refusal(fn: () => unknown): { field?: string; message: string } {
  try {
    fn();
  } catch (error) {
    return { field: (error as AppError).field, message: (error as Error).message };
  }
  throw new Error('not refused');
}

describe('job trigger', () => {
  it('defaults to both for a new mirror job when events are enabled, else to schedule', () => {
    expect(validateJob(input, undefined, 'j', NOW, { trigger: 'both', eventsEnabled: true }).trigger).toBe(
      'both',
    );
    expect(
      validateJob(input, undefined, 'j', NOW, { trigger: 'schedule', eventsEnabled: false }).trigger,
    ).toBe('schedule');
    expect(validateJob(input, undefined, 'j', NOW).trigger).toBe('schedule');
    // A snapshot copies the whole container: its schedule it is, whatever the deployment's default.
    expect(
      validateJob({ ...input, mode: 'snapshot' }, undefined, 'j', NOW, { trigger: 'both' }).trigger,
    ).toBe('schedule');
  });

  it('refuses an unknown trigger, events for a snapshot, and events the deployment does not deliver, by field', () => {
    expect(refusal(() => validateJob({ ...input, trigger: 'hourly' }, undefined, 'j', NOW)).field).toBe(
      'trigger',
    );
    expect(
      refusal(() => validateJob({ ...input, mode: 'snapshot', trigger: 'events' }, undefined, 'j', NOW)),
    ).toMatchObject({
      field: 'trigger',
    });
    const off = refusal(() =>
      validateJob({ ...input, trigger: 'both' }, undefined, 'j', NOW, { eventsEnabled: false }),
    );
    expect(off.field).toBe('trigger');
    expect(off.message).toMatch(/EVENTS_ENABLED/);
  });

  it('records when events began, and keeps it while they stay on', () => {
    const created = validateJob({ ...input, trigger: 'both' }, undefined, 'j', NOW);
    expect(created.eventsSince).toBe(NOW.toISOString());
    const later = new Date('2026-12-02T10:00:00Z');
    const renamed = validateJob({ name: 'm' }, created, 'j', later);
    expect(renamed.eventsSince).toBe(NOW.toISOString());
    const off = validateJob({ trigger: 'schedule' }, renamed, 'j', later);
    expect(off.eventsSince).toBeUndefined();
    expect(validateJob({ trigger: 'events' }, off, 'j', later).eventsSince).toBe(later.toISOString());
  });

  it('reads jobs stored before the option as schedule-only', () => {
    const old = { ...validateJob(input, undefined, 'j', NOW), trigger: undefined } as unknown as Job;
    expect(validateJob({ name: 'x' }, old, 'j', NOW).trigger).toBe('schedule');
  });

  it('takes events only for an enabled mirror whose trigger is events or both', () => {
    const job = { enabled: true, trigger: 'both', mode: 'mirror' } as const;
    expect(eventDriven(job)).toBe(true);
    expect(eventDriven({ ...job, trigger: 'events' })).toBe(true);
    expect(eventDriven({ ...job, trigger: 'schedule' })).toBe(false);
    expect(eventDriven({ ...job, enabled: false })).toBe(false);
    // Validation never writes this; a stored row saying it still takes no events.
    expect(eventDriven({ ...job, mode: 'snapshot' })).toBe(false);
  });
});
