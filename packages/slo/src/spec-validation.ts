import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { SloSpecError } from './errors.js';
import { promqlSyntaxError } from './promql.js';
import { hasWindowPlaceholder, renderQuery, unknownTemplateActions } from './slo-definition.js';

/**
 * Prometheus label names, Sloth service and SLO names, and alert names. Prometheus (and Sloth) accept
 * any alert name; this keeps to names Alertmanager routes and people type without quoting, hyphens included.
 */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const SLO_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const ALERT_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:.-]*$/;

/** Label values as YAML writes them: Sloth reads `generated: true` and `tier: 2` as the strings. */
export const LabelsSchema = Type.Record(
  Type.String(),
  Type.Union([Type.String(), Type.Number(), Type.Boolean()]),
);
export type SpecLabels = Static<typeof LabelsSchema>;

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
      kind === 'slo'
        ? 'letters, digits, _, . and -'
        : 'letters, digits, _, :, . and -, not starting with a digit';
    throw new SloSpecError(field, `must be ${what}; got ${shown(value)}`, source);
  }
}

export function checkLabels(
  labels: SpecLabels | undefined,
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
  return Object.fromEntries(Object.entries(labels ?? {}).map(([name, value]) => [name, String(value)]));
}

/**
 * A query template as Sloth reads it: `{{.window}}` where the range goes (none in a threshold metric,
 * which is a value sampled each minute), no other template action, and PromQL once the window is filled in.
 */
export function checkQuery(
  query: string,
  field: string,
  source: string | undefined,
  { window = 'required' }: { window?: 'required' | 'forbidden' } = {},
): string {
  const [unknown] = unknownTemplateActions(query);
  if (unknown !== undefined) {
    throw new SloSpecError(field, `uses ${unknown}; the only template variable is {{.window}}`, source);
  }
  if (window === 'required' && !hasWindowPlaceholder(query)) {
    throw new SloSpecError(
      field,
      `must contain {{.window}} where the range goes, e.g. [{{.window}}]; got ${shown(query)}`,
      source,
    );
  }
  if (window === 'forbidden' && hasWindowPlaceholder(query)) {
    throw new SloSpecError(
      field,
      'is a value, sampled each minute: write its own range, e.g. [5m], not {{.window}}',
      source,
    );
  }
  const syntax = promqlSyntaxError(renderQuery(query, '5m'));
  if (syntax !== undefined) throw new SloSpecError(field, `${syntax} (with 5m for {{.window}})`, source);
  return query;
}

/** The same text for errors and total would make every event an error (or, for good, none). */
export function checkDistinct(
  query: string,
  other: string,
  field: string,
  otherField: string,
  source: string | undefined,
): void {
  if (renderQuery(query, '5m') === renderQuery(other, '5m')) {
    throw new SloSpecError(
      field,
      `is the same query as ${otherField}, so the SLI would be constant; got ${shown(query)}`,
      source,
    );
  }
}
