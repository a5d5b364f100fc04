import { type Static, type TObject, type TProperties, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** A rule across several variables, checked once every variable is valid on its own; returns the problem. */
export type ConfigCheck<C = Record<string, unknown>> = (config: C) => string | undefined;

/**
 * The environment variables one package reads: TypeBox properties whose defaults are the package's own `DEFAULT_*`
 * constants, plus the rules that span them. A service merges the fragments of what it registers.
 */
export interface ConfigFragment<P extends TProperties = TProperties> {
  properties: P;
  checks: ReadonlyArray<ConfigCheck>;
}

export function configFragment<P extends TProperties>(
  properties: P,
  checks: ReadonlyArray<ConfigCheck<Partial<Static<TObject<P>>>>> = [],
): ConfigFragment<P> {
  return { properties, checks: checks as ReadonlyArray<ConfigCheck> };
}

const CHECKS = Symbol('steadfast.config.checks');

/** A TypeBox object schema that carries the cross-variable checks of the fragments it was merged from. */
export type ConfigSchema<P extends TProperties = TProperties> = TObject<P> & {
  readonly [CHECKS]?: ReadonlyArray<ConfigCheck>;
};

/**
 * Merges fragments into one schema for `loadConfig`. A later fragment's property replaces an earlier one's, which is
 * how a service gives its own default (PORT, DATA_DIR).
 */
export function configSchema<P extends TProperties>(
  properties: P,
  checks: ReadonlyArray<ConfigCheck> = [],
): ConfigSchema<P> {
  return Object.assign(Type.Object(properties), { [CHECKS]: checks });
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

// Values of these variables never appear in an error message: only their length does.
const SECRET_NAME = /TOKEN|PASSWORD|SECRET|KEY|DATABASE_(\w+_)?URL/;

/** How a variable's value is shown in a config error: secrets by their length only. */
export function describeValue(key: string, value: unknown): string {
  if (value === undefined) return 'it is missing';
  return SECRET_NAME.test(key)
    ? `got a value of ${String(value).length} characters`
    : `got ${JSON.stringify(value)}`;
}

/**
 * Reads the schema's variables from `env`, applies defaults, converts strings to numbers and booleans, runs the
 * cross-variable checks, and throws one ConfigError listing every bad or missing variable.
 */
export function loadConfig<T extends ConfigSchema>(
  schema: T,
  env: Record<string, string | undefined>,
): Static<T> {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value.trim();
  }
  const candidate = Value.Convert(schema, Value.Default(schema, raw)) as Record<string, unknown>;
  const problems = [...Value.Errors(schema, candidate)].map((error) => {
    const key = error.path.replace(/^\//, '') || '(root)';
    return `${key}: ${error.message} (${describeValue(key, raw[key])})`;
  });
  if (problems.length === 0) {
    for (const check of schema[CHECKS] ?? []) {
      const problem = check(candidate);
      if (problem) problems.push(problem);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return candidate as Static<T>;
}
