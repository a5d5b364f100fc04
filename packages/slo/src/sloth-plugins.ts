import { SloSpecError } from './errors.js';
import { isLabelMatchers } from './promql.js';
import type { SliQueries } from './slo-definition.js';

type Options = Record<string, string>;

interface SliPlugin {
  /** Option names; the ones set to true are required. */
  options: Record<string, boolean>;
  queries: (options: Options) => SliQueries;
}

/** `a="x"` → `a="x",` so it can go in front of the plugin's own matchers; empty stays empty. */
const prefix = (filter: string | undefined): string =>
  filter === undefined || filter === ''
    ? ''
    : `${filter
        .trim()
        .replace(/^\{|\}$/g, '')
        .replace(/,$/, '')},`;

const matchers = (...parts: string[]): string => {
  const joined = parts.join('').replace(/,$/, '');
  return joined === '' ? '' : `{${joined}}`;
};

/** Errors are 5xx and 429 responses, as in Sloth's availability plugins. */
const availability =
  (counter: string): SliPlugin['queries'] =>
  ({ filter }) => ({
    errorQuery: `sum(rate(${counter}${matchers(prefix(filter), 'code=~"(5..|429)"')}[{{.window}}]))`,
    totalQuery: `sum(rate(${counter}${matchers(prefix(filter))}[{{.window}}]))`,
  });

/** Errors are the requests above the `bucket` bound of a histogram, as in Sloth's latency plugins. */
const latency =
  (histogram: string, scopeOf: (options: Options) => string): SliPlugin['queries'] =>
  (options) => {
    const scope = scopeOf(options);
    const total = `sum(rate(${histogram}_count${matchers(scope)}[{{.window}}]))`;
    const fast = `sum(rate(${histogram}_bucket${matchers(scope, `le="${options.bucket}"`)}[{{.window}}]))`;
    return { errorQuery: `${total} - ${fast}`, totalQuery: total };
  };

/**
 * Sloth's common SLI plugins (github.com/slok/sloth-common-sli-plugins) that measure availability and
 * latency, as events SLIs: the same error and total series the plugin divides, kept apart so the period
 * ratio is exact. Other plugins are refused by id rather than ignored.
 */
const PLUGINS: Record<string, SliPlugin> = {
  'sloth-common/kubernetes/apiserver/availability': {
    options: { filter: false },
    queries: availability('apiserver_request_total'),
  },
  'sloth-common/kubernetes/apiserver/latency': {
    options: { filter: false, bucket: true },
    queries: latency('apiserver_request_duration_seconds', ({ filter }) => `${prefix(filter)}verb!="WATCH",`),
  },
  'sloth-common/slok-go-http-metrics/availability': {
    options: { filter: true },
    queries: availability('http_request_duration_seconds_count'),
  },
  'sloth-common/slok-go-http-metrics/latency': {
    options: { filter: true, bucket: true, exclude_errors: false },
    queries: latency(
      'http_request_duration_seconds',
      ({ filter, exclude_errors }) => prefix(filter) + (exclude_errors === 'true' ? 'code!~"5..",' : ''),
    ),
  },
};

export const SLI_PLUGIN_IDS = Object.keys(PLUGINS);

const OPTION_CHECKS: Record<string, { test: (value: string) => boolean; expected: string }> = {
  filter: { test: isLabelMatchers, expected: 'label matchers such as job="api",env="prod"' },
  bucket: {
    test: (v) => v.trim() !== '' && Number.isFinite(Number(v)),
    expected: 'a histogram bucket bound such as 0.5',
  },
  exclude_errors: { test: (v) => v === 'true' || v === 'false', expected: 'true or false' },
};

/** The queries of a Sloth SLI plugin, or an error naming the plugin or option that cannot be used. */
export function pluginQueries(
  id: string,
  options: Record<string, string | number | boolean> | undefined,
  field: string,
  source: string | undefined,
): SliQueries {
  const plugin = PLUGINS[id];
  if (plugin === undefined) {
    throw new SloSpecError(
      `${field}.id`,
      `SLI plugin ${JSON.stringify(id)} is not supported; supported: ${SLI_PLUGIN_IDS.join(', ')}; or write sli.events`,
      source,
    );
  }
  const given: Options = Object.fromEntries(Object.entries(options ?? {}).map(([k, v]) => [k, String(v)]));
  for (const [name, value] of Object.entries(given)) {
    const check = OPTION_CHECKS[name];
    if (!(name in plugin.options) || check === undefined) {
      throw new SloSpecError(
        `${field}.options.${name}`,
        `is not an option of ${id}; its options: ${Object.keys(plugin.options).join(', ')}`,
        source,
      );
    }
    if (!check.test(value)) {
      throw new SloSpecError(
        `${field}.options.${name}`,
        `must be ${check.expected}; got ${JSON.stringify(value)}`,
        source,
      );
    }
  }
  for (const [name, required] of Object.entries(plugin.options)) {
    if (required && given[name] === undefined) {
      throw new SloSpecError(`${field}.options.${name}`, `is required by ${id}`, source);
    }
  }
  return plugin.queries(given);
}
