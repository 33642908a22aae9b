// GET api/ui/schedule?expression=<NCRONTAB>: the schedule in plain words and its next times, so the
// page shows the same reading of a cron expression as the scheduler uses (one parser, server-side).
import { describeSchedule, nextOccurrence, parseSchedule } from '../config/ncrontab';
import { validationError } from '../errors';
import { jsonResult, type HttpRequestLike, type HttpResult } from '../http/types';

const NEXT_COUNT = 3;

export function scheduleDescription(request: HttpRequestLike): HttpResult {
  const expression = request.query.get('expression');
  if (expression === null) throw validationError('expression', 'required: a 6-field NCRONTAB expression');
  // Throws ValidationFailed naming the broken rule, which the page shows beside the field.
  const schedule = parseSchedule(expression);
  const next: string[] = [];
  let after = new Date();
  for (let i = 0; i < NEXT_COUNT; i += 1) {
    after = nextOccurrence(schedule, after);
    next.push(after.toISOString());
  }
  return jsonResult(200, { expression: schedule.expression, description: describeSchedule(schedule), next });
}
