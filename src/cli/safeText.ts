// What the CLI prints comes partly from the server (names, folders, file names, error messages), and
// those are chosen by whoever can write a job, a connection or a blob name. A terminal obeys control
// characters: ESC sequences can recolour, move the cursor, rewrite earlier lines, set the window
// title or (OSC 52) the clipboard; C1 characters do the same on some terminals; a newline or
// carriage return forges a line; bidi overrides make text read differently from what it is. So every
// line is stripped of them before it is written.

// Whole escape sequences first, so no `[31m` is left behind: CSI (ESC [ … final byte), OSC and the
// other string sequences (ESC ] / P / X / ^ / _ … BEL or ESC \), then any other ESC + one byte.
const ESCAPE_SEQUENCE =
  // eslint-disable-next-line no-control-regex
  /\x1b\[[0-?]*[ -/]*[@-~]?|\x1b[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[\s\S]?/g;
const LINE_BREAKS = /[\t\n\v\f\r\u0085\u2028\u2029]+/g;
// C0 and DEL, C1 (including the 8-bit CSI U+009B), and the bidi marks, embeddings, overrides and isolates.
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** One line of terminal-safe text: escape sequences and controls removed, breaks and tabs as spaces. */
export function safeText(text: string): string {
  return text.replace(ESCAPE_SEQUENCE, '').replace(LINE_BREAKS, ' ').replace(CONTROLS, '');
}

// The characters JSON.stringify leaves raw that a terminal would still obey.
const JSON_UNSAFE = /[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** JSON text with those characters written as \u escapes: the same value, nothing a terminal obeys. */
export function safeJson(json: string): string {
  return json.replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
