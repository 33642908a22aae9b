// The local host's function key: the check Azure applies to authLevel 'function' routes, with the
// key from LOCAL_FUNCTION_KEY or a fresh random one per start.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export function generateFunctionKey(): string {
  return randomBytes(30).toString('base64url');
}

/** The key a request presents: the x-functions-key header, else the `code` query parameter (as in Azure). */
export function presentedKey(
  headers: Record<string, string | undefined>,
  query: URLSearchParams,
): string | undefined {
  return headers['x-functions-key'] ?? query.get('code') ?? undefined;
}

/** Constant-time comparison; hashing first hides the key's length too. */
export function keyMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
