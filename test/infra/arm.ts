// Helpers for the infra tests: find the compiler (or explain how to get it), and walk compiled ARM
// templates, following module parameters and variables just far enough to answer "which role, on
// which resource, for whom".
import { findBicep, HOW_TO_GET_BICEP, type ArmTemplate, type BicepCompiler } from '../../scripts/bicep';

export type Json = Record<string, unknown>;

/**
 * Runs `body` with the compiler when there is one. Without one: under CI a failing test (CI must
 * never pass by skipping), elsewhere skipped, with a message saying how to get the compiler.
 */
export function describeWithBicep(name: string, body: (compiler: () => BicepCompiler) => void): void {
  const compiler = findBicep();
  if (compiler) {
    describe(name, () => body(() => compiler));
  } else if (process.env.CI === 'true') {
    describe(name, () => {
      it('has the Bicep compiler (required when CI=true)', () => {
        throw new Error(HOW_TO_GET_BICEP);
      });
    });
  } else {
    console.warn(`Skipping "${name}": ${HOW_TO_GET_BICEP}`);
    describe.skip(name, () => body(() => compiler as never));
  }
}

/** One resource, with the template that holds it and the module deployment (if any) that holds that. */
export interface Located {
  resource: Json;
  template: ArmTemplate;
  /** The Microsoft.Resources/deployments resource whose template holds this resource; undefined at top level. */
  deployment?: Json;
  parent?: Located;
}

function resourcesOf(template: ArmTemplate): Json[] {
  const resources = template.resources as Json[] | Record<string, Json> | undefined;
  if (!resources) return [];
  return Array.isArray(resources) ? resources : Object.values(resources);
}

/** Every resource at every depth of nested (module) deployments. */
export function allResources(template: ArmTemplate, parent?: Located): Located[] {
  const out: Located[] = [];
  for (const resource of resourcesOf(template)) {
    const here: Located = { resource, template, deployment: parent?.resource, parent };
    out.push(here);
    if (resource.type === 'Microsoft.Resources/deployments') {
      const nested = (resource.properties as Json).template as ArmTemplate;
      out.push(...allResources(nested, here));
    }
  }
  return out;
}

export function ofType(all: Located[], type: string): Located[] {
  return all.filter((l) => String(l.resource.type).toLowerCase() === type.toLowerCase());
}

export function props(l: Located): Json {
  return (l.resource.properties ?? {}) as Json;
}

/** The expression a module parameter was given by its caller, e.g. `[parameters('principalId')]` → the caller's value. */
export function moduleParameterValue(l: Located, name: string): unknown {
  if (!l.deployment) throw new Error(`${String(l.resource.type)} is not inside a module`);
  const params = (l.deployment.properties as Json).parameters as Record<string, { value: unknown }>;
  if (!(name in params))
    throw new Error(`module ${String(l.deployment.name)} is not given parameter ${name}`);
  return params[name].value;
}

const PARAM_REF = /^\[parameters\('([^']+)'\)\]$/;
const VAR_REF = /variables\('([^']+)'\)(?:\.(\w+))?/;

/** Follows `[parameters('x')]` up through module boundaries to the value given at the top. */
export function resolveParameter(l: Located, value: unknown): unknown {
  let current: Located | undefined = l;
  let v = value;
  while (typeof v === 'string' && PARAM_REF.test(v) && current?.deployment) {
    const name = PARAM_REF.exec(v)![1];
    v = moduleParameterValue(current, name);
    current = current.parent;
  }
  return v;
}

/** A variable (or one property of an object variable) of the template holding `l`. */
export function variableValue(l: Located, expression: string): unknown {
  const m = VAR_REF.exec(expression);
  if (!m) return undefined;
  const variables = (l.template.variables ?? {}) as Json;
  const value = variables[m[1]];
  return m[2] ? (value as Json)[m[2]] : value;
}

/** The GUID of a role definition id expression such as `[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', variables('roles').x)]`. */
export function roleGuid(l: Located): string {
  const expression = String(props(l).roleDefinitionId);
  const m = /roleDefinitions',\s*(.+)\)\]$/.exec(expression);
  if (!m) throw new Error(`unexpected roleDefinitionId ${expression}`);
  const arg = m[1].trim();
  if (arg.startsWith("'")) return arg.slice(1, -1);
  const value = variableValue(l, arg);
  if (typeof value !== 'string') throw new Error(`cannot resolve ${arg} in ${expression}`);
  return value;
}

/** The resource type a role assignment's `scope` points at (`resourceId('<type>', ...)`), or 'resourceGroup' when unscoped. */
export function scopeType(l: Located): string {
  const scope = l.resource.scope;
  if (scope === undefined) return 'resourceGroup';
  const m = /resourceId\('([^']+)'/.exec(String(scope));
  if (!m) throw new Error(`unexpected scope ${String(scope)}`);
  return m[1];
}

export function flat(value: unknown): string {
  return JSON.stringify(value);
}
