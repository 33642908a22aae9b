// The process exit codes, one meaning each, so a script can tell "fix your input" from "it is not
// there" from "try again later" without reading the message. The numbers follow the az CLI where it
// has one (2 bad input, 3 not found); 4 for a temporary failure is this CLI's own.
export const EXIT = {
  ok: 0,
  /** The operation was tried and failed (a run that did not succeed, a refused key, a conflict). */
  failed: 1,
  /** Bad input: a missing or invalid option or argument, or a value the server refused (HTTP 400). */
  usage: 2,
  /** The connection, job or run named does not exist (HTTP 404). */
  notFound: 3,
  /** Worth retrying as is: throttled (429), unavailable (503), a timeout, or the app unreachable. */
  temporary: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** HTTP statuses that mean "the same request can succeed later". */
const TEMPORARY_STATUSES = new Set([408, 429, 503, 504]);

/** The exit code a failed API call ends the process with. */
export function exitCodeForStatus(status: number): ExitCode {
  if (status === 400) return EXIT.usage;
  if (status === 404) return EXIT.notFound;
  if (TEMPORARY_STATUSES.has(status)) return EXIT.temporary;
  return EXIT.failed;
}
