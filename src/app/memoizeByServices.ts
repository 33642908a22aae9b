// Each area builds its dependencies once per services container: shared within a process (one token
// service, one set of table clients), rebuilt when the local host or a test installs new services,
// and retried after a failed build instead of caching the failure.
import type { Services } from './services';

export interface ServicesMemo<T> {
  (services: Services): Promise<T>;
  /** Installs ready-made deps for this container (tests), or forgets them with undefined. */
  override(services: Services, value: T | undefined): void;
}

export function memoizeByServices<T>(build: (services: Services) => Promise<T>): ServicesMemo<T> {
  const built = new WeakMap<Services, Promise<T>>();
  const get = (services: Services): Promise<T> => {
    let value = built.get(services);
    if (!value) {
      value = build(services);
      value.catch(() => built.delete(services));
      built.set(services, value);
    }
    return value;
  };
  return Object.assign(get, {
    override(services: Services, value: T | undefined): void {
      if (value === undefined) built.delete(services);
      else built.set(services, Promise.resolve(value));
    },
  });
}
