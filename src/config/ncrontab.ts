// NCRONTAB with 6 fields (second minute hour day month day-of-week), in UTC, the format Azure
// Functions timer triggers use. One reading for every schedule: jobs' schedules, the timer settings
// (SCHEDULER_CRON, SECRET_CHECK_CRON) and the local host's timers. Validation follows NCrontab
// (the library behind Azure's timer trigger), not Unix cron, where the two differ:
//   - exactly 6 fields; day-of-week is 0-6 (Sunday = 0) and 7 is refused;
//   - only `*`, `,`, `-`, `/`, numbers and English month/day names; no `?`, `L`, `#`, `H`, `@daily`;
//   - when both day and day-of-week are restricted, a time must match BOTH (NCrontab checks the
//     day of week after picking the day), whereas cron-parser, like Vixie cron, matches EITHER.
//     We therefore filter cron-parser's candidates to keep Azure's meaning.

import { CronExpressionParser, type CronExpression } from 'cron-parser';
import { AppError } from '../errors';

type FieldName = 'second' | 'minute' | 'hour' | 'day' | 'month' | 'day-of-week';

interface FieldRule {
  name: FieldName;
  min: number;
  max: number;
  names?: readonly string[];
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

const FIELDS: readonly FieldRule[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day-of-week', min: 0, max: 6, names: DAYS },
];

const FORMAT = '"second minute hour day month day-of-week", for example "0 */5 * * * *"';

/** A validated schedule. `fields` holds each field with names replaced by numbers. */
export interface Schedule {
  expression: string;
  fields: readonly string[];
  /** The values each field allows. */
  values: readonly (readonly number[])[];
  /** Both day and day-of-week are restricted: a time must match both (NCrontab semantics). */
  dayAndWeekday: boolean;
}

function invalid(rule: string, expression: string): AppError {
  return new AppError('ValidationFailed', `schedule ${rule} (got "${expression}")`, {
    field: 'schedule',
    advice: `Write 6 fields in UTC, ${FORMAT} for every 5 minutes or "0 0 2 * * *" for 02:00 every day.`,
  });
}

/** Replace names by numbers and check every number and step of one field. */
function normalizeField(raw: string, rule: FieldRule, expression: string): string {
  const text = raw.toLowerCase().replace(/[a-z]+/g, (word) => {
    const full = rule.name === 'month' ? MONTH_NAMES : DAY_NAMES;
    const found = rule.names
      ? rule.names.findIndex((abbr, i) => word === abbr || word === full[i].toLowerCase())
      : -1;
    if (found < 0)
      throw invalid(
        `${rule.name} field "${raw}" contains "${word}", which is not a ${rule.names ? `${rule.name} name` : 'number'}`,
        expression,
      );
    return String(rule.name === 'month' ? found + 1 : found);
  });
  for (const item of text.split(',')) {
    const match = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(item);
    if (!match)
      throw invalid(
        `${rule.name} field "${raw}" is not valid: use numbers, names, "*", "a-b", "*/n" or lists with ","`,
        expression,
      );
    const [, , from, to, step] = match;
    for (const n of [from, to]) {
      if (n !== undefined && (Number(n) < rule.min || Number(n) > rule.max))
        throw invalid(
          `${rule.name} must be between ${rule.min} and ${rule.max}${rule.name === 'day-of-week' ? ' (Sunday = 0)' : ''}, but the field "${raw}" has ${n}`,
          expression,
        );
    }
    if (from !== undefined && to !== undefined && Number(from) > Number(to))
      throw invalid(`${rule.name} range "${item}" runs backwards`, expression);
    if (step !== undefined && Number(step) < 1)
      throw invalid(`${rule.name} step in "${item}" must be at least 1`, expression);
  }
  return text;
}

/** Validate a 6-field NCRONTAB expression; throws ValidationFailed (field `schedule`) naming the rule broken. */
export function parseSchedule(expression: string): Schedule {
  if (typeof expression !== 'string' || expression.trim() === '')
    throw invalid(`is required, as ${FORMAT}`, String(expression));
  const raw = expression.trim().split(/\s+/);
  if (raw.length !== 6) {
    const hint =
      raw.length === 5 ? '; a 5-field Unix cron needs a leading seconds field, e.g. "0 " before it' : '';
    throw invalid(`must have exactly 6 fields, ${FORMAT}, but has ${raw.length}${hint}`, expression);
  }
  const fields = raw.map((f, i) => normalizeField(f, FIELDS[i], expression));
  let parsed: CronExpression;
  try {
    parsed = CronExpressionParser.parse(fields.join(' '), { tz: 'UTC', currentDate: new Date(0) });
  } catch (error) {
    throw invalid(`is not valid: ${(error as Error).message}`, expression);
  }
  const f = parsed.fields;
  const values = [f.second, f.minute, f.hour, f.dayOfMonth, f.month, f.dayOfWeek].map((field) =>
    [...new Set(field.values.map(Number).map((v) => (field === f.dayOfWeek && v === 7 ? 0 : v)))].sort(
      (a, b) => a - b,
    ),
  );
  const schedule: Schedule = {
    expression: expression.trim(),
    fields,
    values,
    dayAndWeekday: fields[3] !== '*' && fields[5] !== '*',
  };
  // A schedule that never fires (31 April, or 29 February on a Monday with no such date in
  // decades) is almost certainly a mistake; refuse it now rather than never run.
  if (!search(schedule, new Date(Date.UTC(2000, 0, 1)), 'next'))
    throw invalid('never occurs (check the day and month)', expression);
  return schedule;
}

function toSchedule(expr: string | Schedule): Schedule {
  return typeof expr === 'string' ? parseSchedule(expr) : expr;
}

// Bound on candidate days examined when both day and day-of-week are restricted: 29 February
// on a given weekday recurs within 28 years, about 150 candidate days of cron-parser's OR set.
const MAX_CANDIDATE_DAYS = 2000;

function search(schedule: Schedule, from: Date, direction: 'next' | 'prev'): Date | undefined {
  const cron = CronExpressionParser.parse(schedule.fields.join(' '), { tz: 'UTC', currentDate: from });
  const [days, weekdays] = [schedule.values[3], schedule.values[5]];
  for (let i = 0; i < MAX_CANDIDATE_DAYS; i++) {
    let candidate: Date;
    try {
      candidate = (direction === 'next' ? cron.next() : cron.prev()).toDate();
    } catch {
      return undefined; // cron-parser gives up on expressions with no occurrence in range
    }
    if (!schedule.dayAndWeekday) return candidate;
    if (days.includes(candidate.getUTCDate()) && weekdays.includes(candidate.getUTCDay())) return candidate;
    // Skip the rest of this day: only the other field matched it.
    const [y, m, d] = [candidate.getUTCFullYear(), candidate.getUTCMonth(), candidate.getUTCDate()];
    cron.reset(direction === 'next' ? new Date(Date.UTC(y, m, d, 23, 59, 59)) : new Date(Date.UTC(y, m, d)));
  }
  return undefined;
}

/** The first scheduled time strictly after `after` (UTC). */
export function nextOccurrence(expr: string | Schedule, after: Date): Date {
  const schedule = toSchedule(expr);
  const next = search(schedule, after, 'next');
  if (!next) throw invalid('has no next occurrence', schedule.expression);
  return next;
}

/** The latest scheduled time at or before `at`, if any. */
export function latestOccurrence(expr: string | Schedule, at: Date): Date | undefined {
  // cron-parser's prev() is strictly before its current date; +1 ms makes `at` itself count.
  return search(toSchedule(expr), new Date(at.getTime() + 1), 'prev');
}

/**
 * The scheduled time a run is due for now, or undefined. It is the most recent scheduled time at
 * or before `now`, when that is later than the last one a run was created for. However many
 * times were missed (the app was stopped for a day), this returns one time, so a missed schedule
 * runs once. With no `lastScheduledAt` (never run) the latest past time is due: callers that do
 * not want a new job to run at once store its creation time as `lastScheduledAt`.
 */
export function dueRun(
  expr: string | Schedule,
  lastScheduledAt: Date | undefined,
  now: Date,
): Date | undefined {
  const latest = latestOccurrence(expr, now);
  if (!latest) return undefined;
  if (lastScheduledAt && latest.getTime() <= lastScheduledAt.getTime()) return undefined;
  return latest;
}

// ---- plain English, for the setup page ----

const pad = (n: number): string => String(n).padStart(2, '0');

function joinWords(words: string[]): string {
  return words.length <= 1
    ? words.join('')
    : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

/**
 * The step n when a field is "*" (n = 1), "*\/n" or "min/n" AND n divides the field's span evenly;
 * otherwise undefined. "*\/7" minutes fires at :56 then :00, which is not "every 7 minutes".
 */
function everyStep(field: string, rule: FieldRule): number | undefined {
  if (field === '*') return 1;
  const m = /^(\*|(\d+))\/(\d+)$/.exec(field);
  if (!m || (m[2] !== undefined && Number(m[2]) !== rule.min)) return undefined;
  const step = Number(m[3]);
  return (rule.max + 1) % step === 0 ? step : undefined;
}

const isNumber = (field: string): boolean => /^\d+$/.test(field);
const isList = (field: string): boolean => /^\d+(,\d+)*$/.test(field);

function daysPart(fields: readonly string[], values: readonly (readonly number[])[]): string | undefined {
  const [day, month, weekday] = [fields[3], fields[4], fields[5]];
  if (month !== '*') return undefined;
  if (day === '*' && weekday === '*') return 'every day';
  if (day === '*') {
    const range = /^(\d)-(\d)$/.exec(weekday);
    if (range) return `on ${DAY_NAMES[Number(range[1])]} through ${DAY_NAMES[Number(range[2])]}`;
    if (isList(weekday)) return `on ${joinWords(values[5].map((d) => DAY_NAMES[d]))}`;
    return undefined;
  }
  if (weekday === '*' && isList(day)) return `on day ${joinWords(values[3].map(String))} of every month`;
  return undefined;
}

function fieldWords(field: string, rule: FieldRule): string {
  if (field === '*') return `every ${rule.name}`;
  const step = /^\*\/(\d+)$/.exec(field);
  if (step) return `every ${rule.name} divisible by ${step[1]}`;
  const named = (v: string): string =>
    rule.name === 'month'
      ? MONTH_NAMES[Number(v) - 1]
      : rule.name === 'day-of-week'
        ? DAY_NAMES[Number(v)]
        : v;
  // Numbers after '/' are steps, not values, so they are never turned into names.
  return `${rule.name} ${field.replace(/\d+/g, (v, offset: number, whole: string) => (whole[offset - 1] === '/' ? v : named(v)))}`;
}

/** Plain English for a schedule ("every 5 minutes", "every day at 02:00 UTC", "at 03:30 UTC on Monday"). */
export function describeSchedule(expr: string | Schedule): string {
  const schedule = toSchedule(expr);
  const { fields, values } = schedule;
  const [second, minute, hour] = fields;
  const wholeDays = fields.slice(3).every((f) => f === '*');
  const plural = (n: number, unit: string): string => (n === 1 ? `every ${unit}` : `every ${n} ${unit}s`);

  if (wholeDays) {
    const s = everyStep(second, FIELDS[0]);
    if (s && minute === '*' && hour === '*') return plural(s, 'second');
    const m = everyStep(minute, FIELDS[1]);
    if (second === '0' && m && hour === '*') return plural(m, 'minute');
    const h = everyStep(hour, FIELDS[2]);
    if (second === '0' && minute === '0' && h) return plural(h, 'hour');
  }

  const days = daysPart(fields, values);
  if (
    days &&
    isNumber(second) &&
    isList(minute) &&
    isList(hour) &&
    values[1].length * values[2].length <= 4
  ) {
    const times = values[2].flatMap((h) =>
      values[1].map((m) => `${pad(h)}:${pad(m)}${second === '0' ? '' : `:${pad(Number(second))}`}`),
    );
    const at = `at ${joinWords(times)} UTC`;
    return days === 'every day' ? `every day ${at}` : `${at} ${days}`;
  }

  // Generic, but exact: each field in words.
  return `at ${FIELDS.map((rule, i) => fieldWords(fields[i], rule)).join(', ')} (UTC)`;
}
