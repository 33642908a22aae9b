// Builds a value on first use and shares it with every later caller, concurrent first callers
// included. A build that fails is forgotten, so the next call tries again: a setting fixed or a
// storage account reachable again must not need a restart.

/** The value, built at most once while its builds succeed. */
export function lazy<T>(build: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    if (!pending) {
      // async: a build that throws before its first await fails the same way as one that rejects.
      const attempt = (async () => build())();
      pending = attempt;
      attempt.catch(() => {
        if (pending === attempt) pending = undefined;
      });
    }
    return pending;
  };
}

/** The synchronous twin of lazy(): a build that throws leaves nothing behind. */
export function lazySync<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => (built ??= { value: build() }).value;
}
