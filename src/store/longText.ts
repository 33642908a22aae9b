// A string longer than one Table property holds. A property is at most 64 KiB (32K UTF-16
// characters) and an entity at most 1 MiB, so a long value is cut into numbered columns
// (`name`, `name1`, `name2`, ...) with the count in `<name>Parts`. The count, not the columns
// present, says what to read: a merge that writes fewer parts than before leaves the old extra
// columns behind, and they must not be read back.
import { AppError } from '../errors';

/** Characters per column: under the 32K-character limit, with room for the UTF-16 worst case. */
export const PART_CHARS = 30_000;
/** Columns at most: 240K characters, well inside the 1 MiB entity with the row's other fields. */
export const MAX_PARTS = 8;

export function splitColumns(name: string, value: string): Record<string, string | number> {
  const parts = Math.max(1, Math.ceil(value.length / PART_CHARS));
  if (parts > MAX_PARTS)
    throw new AppError(
      'ValidationFailed',
      `The ${name} (${value.length} characters) is larger than a Table row can hold (${MAX_PARTS * PART_CHARS}).`,
      { field: name },
    );
  const out: Record<string, string | number> = { [`${name}Parts`]: parts };
  for (let i = 0; i < parts; i += 1)
    out[i === 0 ? name : `${name}${i}`] = value.slice(i * PART_CHARS, (i + 1) * PART_CHARS);
  return out;
}

/** The value splitColumns wrote, or undefined when the row has none (or a part is missing). */
export function joinColumns(row: Record<string, unknown>, name: string): string | undefined {
  const parts = row[`${name}Parts`];
  if (typeof parts !== 'number' || !Number.isInteger(parts) || parts < 1 || parts > MAX_PARTS)
    return undefined;
  let out = '';
  for (let i = 0; i < parts; i += 1) {
    const part = row[i === 0 ? name : `${name}${i}`];
    if (typeof part !== 'string') return undefined;
    out += part;
  }
  return out;
}
