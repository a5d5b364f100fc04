import { MIN_PERIOD_DAYS } from './alert-windows.js';
import { InvalidSloInputError } from './errors.js';
import { assertObjective } from './objective.js';
import { DEFAULT_PERIOD_DAYS } from './specs.js';

/** What makes a request good: it did not fail with a 5xx, or it was answered within a threshold. */
export type SliKind = 'availability' | 'latency';

/** An SLO measured by the service itself, request by request (the rule generator's `SloDefinition` is PromQL). */
export interface LiveSloDefinition {
  /**
   * Unique per database: the key of the SLO's rows in `slo_sli_minutes`, its `slo` metric label and its
   * name in `/v1/slo/:name`. Letters, digits, `.`, `_` and `-`.
   */
  name: string;
  description?: string;
  kind: SliKind;
  /** A ratio: 0.999 for 99.9 %. */
  objective: number;
  /** Rolling period in whole days, at least 3 (the longest alert window); default 30. */
  periodDays?: number;
  /** Latency SLOs: a request answered within this many milliseconds is good. */
  thresholdMs?: number;
  /**
   * Latency SLOs: thresholds for particular routes, keyed by the route template as Fastify registered it,
   * with or without the method: `'GET /v1/reports/:id'` or `'/v1/reports/:id'` (the method-specific key wins).
   */
  routeThresholdsMs?: Record<string, number>;
}

/** A definition with its defaults applied and its thresholds ready for lookup. */
export interface LiveSlo {
  name: string;
  description: string;
  kind: SliKind;
  objective: number;
  periodDays: number;
  /** null for availability SLOs. */
  thresholdMs: number | null;
  routeThresholdsMs: ReadonlyMap<string, number>;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const ROUTE_KEY = /^(?:[A-Z]+ )?\//;

function assertThreshold(field: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidSloInputError(field, value, 'a number of milliseconds > 0');
  }
}

function liveSlo(definition: LiveSloDefinition, field: string): LiveSlo {
  if (typeof definition !== 'object' || definition === null) {
    throw new InvalidSloInputError(field, definition, 'an SLO definition { name, kind, objective, ... }');
  }
  const { name, description = '', kind, objective, periodDays = DEFAULT_PERIOD_DAYS } = definition;
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new InvalidSloInputError(`${field}.name`, name, 'letters, digits, ".", "_" and "-"');
  }
  if (typeof description !== 'string') {
    throw new InvalidSloInputError(`${field}.description`, description, 'a string');
  }
  if (kind !== 'availability' && kind !== 'latency') {
    throw new InvalidSloInputError(`${field}.kind`, kind, '"availability" or "latency"');
  }
  assertObjective(objective, `${field}.objective`);
  if (!Number.isInteger(periodDays) || periodDays < MIN_PERIOD_DAYS) {
    throw new InvalidSloInputError(
      `${field}.periodDays`,
      periodDays,
      `a whole number of days ≥ ${MIN_PERIOD_DAYS}, the longest alert window`,
    );
  }
  return { name, description, kind, objective, periodDays, ...thresholds(definition, field) };
}

/** The latency thresholds of a definition; availability SLOs have none. */
function thresholds(
  definition: LiveSloDefinition,
  field: string,
): Pick<LiveSlo, 'thresholdMs' | 'routeThresholdsMs'> {
  if (definition.kind === 'availability') {
    for (const option of ['thresholdMs', 'routeThresholdsMs'] as const) {
      if (definition[option] !== undefined) {
        throw new InvalidSloInputError(
          `${field}.${option}`,
          definition[option],
          'absent on an availability SLO',
        );
      }
    }
    return { thresholdMs: null, routeThresholdsMs: new Map() };
  }
  assertThreshold(`${field}.thresholdMs`, definition.thresholdMs);
  const routes = definition.routeThresholdsMs ?? {};
  if (typeof routes !== 'object' || routes === null) {
    throw new InvalidSloInputError(`${field}.routeThresholdsMs`, routes, 'an object { "GET /route": ms }');
  }
  for (const [route, threshold] of Object.entries(routes)) {
    if (!ROUTE_KEY.test(route)) {
      throw new InvalidSloInputError(
        `${field}.routeThresholdsMs`,
        route,
        'keys that are route templates, optionally after a method: "/v1/reports/:id" or "GET /v1/reports/:id"',
      );
    }
    assertThreshold(`${field}.routeThresholdsMs["${route}"]`, threshold);
  }
  return { thresholdMs: definition.thresholdMs, routeThresholdsMs: new Map(Object.entries(routes)) };
}

/** Checks the definitions (field names like `slos[1].objective` in errors) and applies defaults. */
export function liveSlos(definitions: readonly LiveSloDefinition[], field = 'slos'): LiveSlo[] {
  if (!Array.isArray(definitions) || definitions.length === 0) {
    throw new InvalidSloInputError(field, definitions, 'a non-empty array of SLO definitions');
  }
  const slos = definitions.map((definition, i) => liveSlo(definition, `${field}[${i}]`));
  const seen = new Set<string>();
  slos.forEach(({ name }, i) => {
    if (seen.has(name)) throw new InvalidSloInputError(`${field}[${i}].name`, name, 'unique among the SLOs');
    seen.add(name);
  });
  return slos;
}
