import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { SloSpecError } from './errors.js';
import { hasWindowPlaceholder } from './slo-definition.js';

/** Prometheus label names, Sloth service and SLO names, and alert names (which must be metric names). */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const SLO_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const ALERT_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** `/slos/0/objective` → `slos[0].objective`, the way the YAML reads. */
export function fieldOf(pointer: string, base = ''): string {
  return pointer
    .split('/')
    .filter((part) => part !== '')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce(
      (field, part) => (/^\d+$/.test(part) ? `${field}[${part}]` : field === '' ? part : `${field}.${part}`),
      base,
    );
}

const shown = (value: unknown): string => (value === undefined ? 'nothing' : JSON.stringify(value));

/** Checks a parsed document against its schema and names the first bad field and the value found there. */
export function validate<T extends TSchema>(
  schema: T,
  value: unknown,
  source: string | undefined,
): Static<T> {
  const error = Value.Errors(schema, value).First();
  if (error !== undefined) {
    throw new SloSpecError(
      fieldOf(error.path) || '(document)',
      `${error.message}; got ${shown(error.value)}`,
      source,
    );
  }
  return value as Static<T>;
}

export function checkPattern(
  value: string,
  field: string,
  source: string | undefined,
  kind: 'slo' | 'alert',
): void {
  const pattern = kind === 'slo' ? SLO_NAME : ALERT_NAME;
  if (!pattern.test(value)) {
    const what =
      kind === 'slo' ? 'letters, digits, _, . and -' : 'a Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)';
    throw new SloSpecError(field, `must be ${what}; got ${shown(value)}`, source);
  }
}

export function checkLabels(
  labels: Record<string, string> | undefined,
  field: string,
  source: string | undefined,
): Record<string, string> {
  for (const name of Object.keys(labels ?? {})) {
    if (!LABEL_NAME.test(name)) {
      throw new SloSpecError(`${field}.${name}`, `is not a valid Prometheus label name`, source);
    }
    // These are written by the generator; letting a spec set them would break dashboards and inhibition.
    if (/^sloth_/.test(name)) {
      throw new SloSpecError(`${field}.${name}`, 'labels starting with sloth_ are reserved', source);
    }
  }
  return { ...labels };
}

export function checkWindowPlaceholder(query: string, field: string, source: string | undefined): string {
  if (!hasWindowPlaceholder(query)) {
    throw new SloSpecError(
      field,
      `must contain {{.window}} where the range goes, e.g. [{{.window}}]; got ${shown(query)}`,
      source,
    );
  }
  return query;
}
