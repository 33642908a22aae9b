// A form error shown where it belongs: beside its field, worded with the field's label
// ("Destination folder", never destinationFolder), the input marked aria-invalid and described by
// the error, so a screen reader reads both. Errors without a field stay in the form's error line.
import { isKeyRefusal } from './api';
import { $, clearError, h, showError } from './core';

export interface FieldInfo {
  /** The input, select or textarea the field is edited in. */
  id: string;
  label: string;
}

/** The API's field name (e.g. "source.container") → where and how the page shows it. */
export type FieldMap = Record<string, FieldInfo>;

/** The rule part of an API message "field: rule", worded with the label. */
export function fieldMessage(label: string, field: string, message: string): string {
  const prefix = field + ': ';
  const rule = message.startsWith(prefix) ? message.slice(prefix.length) : message;
  return label + ': ' + rule;
}

function errorNode(input: HTMLElement): HTMLElement {
  const id = input.id + '-error';
  const existing = document.getElementById(id);
  if (existing) return existing;
  const node = h('p', { className: 'field-error', attrs: { id, hidden: true } });
  input.insertAdjacentElement('afterend', node);
  return node;
}

function describe(input: HTMLElement, id: string, on: boolean): void {
  const ids = (input.getAttribute('aria-describedby') || '').split(' ').filter((x) => x && x !== id);
  if (on) ids.push(id);
  if (ids.length) input.setAttribute('aria-describedby', ids.join(' '));
  else input.removeAttribute('aria-describedby');
}

export function clearFieldErrors(fields: FieldMap): void {
  Object.keys(fields).forEach((name) => {
    const input = document.getElementById(fields[name].id);
    if (!input) return;
    const node = document.getElementById(input.id + '-error');
    if (node) {
      node.hidden = true;
      node.textContent = '';
      describe(input, node.id, false);
    }
    input.removeAttribute('aria-invalid');
  });
}

/** Shows the error beside its field; false when the error names no field of this form. */
export function showFieldError(fields: FieldMap, error: unknown): boolean {
  const problem = (error || {}) as { field?: string; message?: string; advice?: string };
  const info = problem.field ? fields[problem.field] : undefined;
  if (!info || !problem.field) return false;
  const input = $(info.id);
  const node = errorNode(input);
  node.textContent =
    fieldMessage(info.label, problem.field, problem.message || 'is not valid') +
    (problem.advice ? ' ' + problem.advice : '');
  node.hidden = false;
  input.setAttribute('aria-invalid', 'true');
  describe(input, node.id, true);
  input.focus();
  return true;
}

/**
 * Sends a form: the button is disabled meanwhile, and a refusal shows beside its field, or in the
 * form's error line when it names none. Resolves with the answer, or undefined after a failure.
 */
export async function submitForm<T>(
  control: HTMLButtonElement | null,
  fields: FieldMap,
  errorLine: HTMLElement,
  action: () => Promise<T>,
): Promise<T | undefined> {
  clearFieldErrors(fields);
  clearError(errorLine);
  if (control) control.disabled = true;
  try {
    return await action();
  } catch (error) {
    if (!isKeyRefusal(error) && !showFieldError(fields, error)) showError(errorLine, error);
    return undefined;
  } finally {
    if (control) control.disabled = false;
  }
}
