// Schedule presets beside the cron field: every hour, every day at a time, every week on a day at
// a time (UTC, as the scheduler reads them). A preset writes the expression; an expression typed
// by hand that matches a preset selects it again, anything else is "Custom".
export type PresetKind = 'hourly' | 'daily' | 'weekly' | 'custom';

export interface Preset {
  kind: PresetKind;
  /** "HH:MM", UTC. */
  time: string;
  /** 0 = Sunday … 6 = Saturday. */
  day: number;
}

const pad = (n: number): string => String(n).padStart(2, '0');

export function presetExpression(p: Preset): string | undefined {
  const [hour, minute] = p.time.split(':').map(Number);
  const h = Number.isInteger(hour) && hour >= 0 && hour < 24 ? hour : 2;
  const m = Number.isInteger(minute) && minute >= 0 && minute < 60 ? minute : 0;
  if (p.kind === 'hourly') return `0 ${m} * * * *`;
  if (p.kind === 'daily') return `0 ${m} ${h} * * *`;
  if (p.kind === 'weekly') return `0 ${m} ${h} * * ${p.day}`;
  return undefined;
}

export function presetOf(expression: string): Preset {
  const f = expression.trim().split(/\s+/);
  const n = (v: string, max: number): number | undefined =>
    /^\d+$/.test(v) && Number(v) <= max ? Number(v) : undefined;
  if (f.length === 6 && f[0] === '0' && f[3] === '*' && f[4] === '*') {
    const minute = n(f[1], 59);
    const hour = n(f[2], 23);
    const day = n(f[5], 6);
    if (minute !== undefined && f[2] === '*' && f[5] === '*')
      return { kind: 'hourly', time: '00:' + pad(minute), day: 1 };
    if (minute !== undefined && hour !== undefined) {
      const time = pad(hour) + ':' + pad(minute);
      if (f[5] === '*') return { kind: 'daily', time, day: 1 };
      if (day !== undefined) return { kind: 'weekly', time, day };
    }
  }
  return { kind: 'custom', time: '02:00', day: 1 };
}
