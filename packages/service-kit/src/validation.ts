import { AjvCompiler } from '@fastify/ajv-compiler';

interface RouteSchema {
  schema: unknown;
  method: string;
  url: string;
  httpPart?: string;
}
type Compile = (route: RouteSchema) => unknown;
interface ServerAjvOptions {
  customOptions?: object;
  plugins?: unknown[];
}

const AJV_OPTIONS = { allErrors: true, removeAdditional: false, useDefaults: true } as const;

function compilerWith(
  externalSchemas: unknown,
  options: ServerAjvOptions,
  coerceTypes: 'array' | false,
): Compile {
  const build = AjvCompiler() as unknown as (schemas: unknown, options: ServerAjvOptions) => Compile;
  return build(externalSchemas, {
    ...options,
    customOptions: { ...options.customOptions, ...AJV_OPTIONS, coerceTypes },
  });
}

/**
 * Query strings, params and headers arrive as text, so they are coerced ("20" -> 20). Bodies are JSON and
 * already typed: coercing them would turn `""` into `null` or `"1"` into `1` behind the caller's back, so a
 * mistyped body field is a 400 instead.
 */
export function buildValidator(externalSchemas: unknown, serverOptions?: ServerAjvOptions) {
  const options = serverOptions ?? {};
  const coercing = compilerWith(externalSchemas, options, 'array');
  const strict = compilerWith(externalSchemas, options, false);
  return (route: RouteSchema) => (route.httpPart === 'body' ? strict(route) : coercing(route));
}
