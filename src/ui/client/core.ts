// DOM building, error lines and formatting shared by every part of the page. Data only ever
// reaches the page through textContent, and links only with an http(s) URL.
import { isKeyRefusal } from './api';
import type { ConnectionView, RunView } from './types';

export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error('The page has no element #' + id + '.');
  return node as T;
}

/** The trimmed value of a text field or a select. */
export function inputValue(id: string): string {
  return $<HTMLInputElement | HTMLSelectElement>(id).value.trim();
}

type AttributeValue = string | number | boolean | null | undefined;
export type Child = Node | string | null | undefined | false;

export interface ElementProps {
  /** Set as textContent. */
  text?: string | number | null;
  className?: string;
  attrs?: Record<string, AttributeValue>;
  on?: Record<string, (event: Event) => void>;
}

// Children are nodes or strings (added as text, never as HTML).
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: ElementProps = {},
  children: Child[] = [],
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.className) node.className = props.className;
  if (props.text !== undefined && props.text !== null) node.textContent = String(props.text);
  const attrs = props.attrs || {};
  Object.keys(attrs).forEach((name) => {
    const value = attrs[name];
    if (value !== undefined && value !== null && value !== false)
      node.setAttribute(name, value === true ? '' : String(value));
  });
  const on = props.on || {};
  Object.keys(on).forEach((type) => node.addEventListener(type, on[type]));
  children.forEach((child) => {
    if (child === null || child === undefined || child === false) return;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  });
  return node;
}

/** The handler gets the button itself, to disable it while its action runs. */
export function button(
  text: string,
  onClick: (control: HTMLButtonElement) => void,
  extra: Record<string, AttributeValue> = {},
): HTMLButtonElement {
  const control: HTMLButtonElement = h('button', {
    text,
    attrs: { type: 'button', ...extra },
    on: { click: () => onClick(control) },
  });
  return control;
}

// A link to somewhere else (OneDrive); only http(s) URLs become links, anything else stays text.
export function externalLink(url: unknown, text: string): HTMLAnchorElement | null {
  if (typeof url !== 'string' || !/^https?:\/\//i.test(url)) return null;
  return h('a', { text, attrs: { href: url, target: '_blank', rel: 'noopener noreferrer' } });
}

export function errorLine(): HTMLParagraphElement {
  return h('p', { className: 'error', attrs: { role: 'alert', hidden: true } });
}

interface Problem {
  message?: string;
  advice?: string;
}

export function errorText(error: unknown): string {
  const problem = (error || {}) as Problem;
  let text = problem.message || 'Something went wrong.';
  if (problem.advice) text += ' ' + problem.advice;
  return text;
}
export function showError(node: HTMLElement, error: unknown): void {
  node.textContent = errorText(error);
  node.hidden = false;
}
export function clearError(node: HTMLElement): void {
  node.textContent = '';
  node.hidden = true;
}

// Runs an action for a button: disables it while pending and shows a failure in the error line.
export async function busy<T>(
  control: HTMLButtonElement | null,
  errorNode: HTMLElement | null,
  action: () => Promise<T>,
): Promise<T | undefined> {
  if (errorNode) clearError(errorNode);
  if (control) control.disabled = true;
  try {
    return await action();
  } catch (error) {
    if (errorNode && !isKeyRefusal(error)) showError(errorNode, error);
    return undefined;
  } finally {
    if (control) control.disabled = false;
  }
}

export function fmtBytes(value: unknown): string {
  let n = Number(value) || 0;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return (i === 0 ? String(n) : n.toFixed(n >= 100 ? 0 : 1)) + ' ' + units[i];
}

export function fmtTime(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
}

export function plural(n: number, word: string): string {
  return n + ' ' + word + (n === 1 ? '' : 's');
}

const CONNECTION_STATUS_LABELS: Record<string, string> = {
  authorized: 'Authorized',
  'reauth-required': 'Needs re-authorization',
  error: 'Error',
  new: 'Not authorized yet',
};

export function connectionStatusLabel(status: ConnectionView['status']): string {
  return CONNECTION_STATUS_LABELS[status] || status;
}

const FINAL_RUN_STATUSES = new Set<string>(['succeeded', 'partially-failed', 'failed', 'timed-out']);

export function isFinished(run: RunView): boolean {
  return FINAL_RUN_STATUSES.has(run.status);
}
