// Azure Functions route templates (`connections/{id}`, `items/{path?}`, `files/{*rest}`,
// `runs/{n:int}`) compiled to matchers, so the local host routes exactly as Azure does. Matching is
// case-insensitive on literals, as in Azure; parameter values are percent-decoded.

export interface CompiledRoute {
  template: string;
  match(path: string): Record<string, string> | undefined;
}

const PARAM = /^\{(\*?)([A-Za-z_][A-Za-z0-9_]*)(?::([A-Za-z]+))?(\?)?\}$/;
const CONSTRAINTS: Record<string, RegExp> = {
  int: /^-?\d+$/,
  long: /^-?\d+$/,
  bool: /^(true|false)$/i,
  alpha: /^[A-Za-z]+$/,
  guid: /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i,
};

interface Segment {
  literal?: string;
  name?: string;
  optional?: boolean;
  catchAll?: boolean;
  constraint?: RegExp;
}

export function compileRoute(template: string): CompiledRoute {
  const segments: Segment[] = template
    .replace(/^\/+|\/+$/g, '')
    .split('/')
    .filter((s) => s.length > 0)
    .map((text) => {
      const param = PARAM.exec(text);
      if (!param) {
        if (text.includes('{')) throw new Error(`Unsupported route segment "${text}" in "${template}"`);
        return { literal: text.toLowerCase() };
      }
      const [, star, name, constraint, optional] = param;
      if (constraint && !CONSTRAINTS[constraint.toLowerCase()])
        throw new Error(`Unsupported route constraint "${constraint}" in "${template}"`);
      return {
        name,
        optional: Boolean(optional) || Boolean(star),
        catchAll: Boolean(star),
        constraint: constraint ? CONSTRAINTS[constraint.toLowerCase()] : undefined,
      };
    });

  return {
    template,
    match(path) {
      const parts = path
        .replace(/^\/+|\/+$/g, '')
        .split('/')
        .filter((s) => s.length > 0);
      const params: Record<string, string> = {};
      for (let i = 0; i < segments.length; i += 1) {
        const segment = segments[i];
        if (segment.catchAll) {
          const rest = parts.slice(i).map(decode);
          if (rest.some((r) => r === undefined)) return undefined;
          if (rest.length > 0) params[segment.name!] = rest.join('/');
          return params;
        }
        const part = parts[i];
        if (part === undefined) {
          // Only trailing optional parameters may be missing.
          if (segments.slice(i).every((s) => s.optional)) return params;
          return undefined;
        }
        if (segment.literal !== undefined) {
          if (part.toLowerCase() !== segment.literal) return undefined;
          continue;
        }
        const value = decode(part);
        if (value === undefined || (segment.constraint && !segment.constraint.test(value))) return undefined;
        params[segment.name!] = value;
      }
      return parts.length === segments.length ? params : undefined;
    },
  };
}

function decode(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}
