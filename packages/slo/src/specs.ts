import { parseAllDocuments } from 'yaml';
import { MIN_PERIOD_DAYS } from './alert-windows.js';
import { InvalidSloInputError, isSloSpecError, SloSpecError } from './errors.js';
import {
  OPENSLO_API_VERSION,
  OPENSLO_V1ALPHA_API_VERSION,
  type OpenSloDocument,
  parseOpenSloDocuments,
} from './openslo-spec.js';
import type { SloDefinition } from './slo-definition.js';
import {
  parseSlothCrd,
  parseSlothSpec,
  SLOTH_CRD_API_VERSION,
  SLOTH_CRD_KIND,
  SLOTH_SPEC_VERSION,
} from './sloth-spec.js';

export const DEFAULT_PERIOD_DAYS = 30;

export interface ParseSpecsOptions {
  /** For Sloth specs, which carry no period of their own. */
  periodDays?: number;
  /** A file name to put in front of errors. */
  source?: string;
  /**
   * Collects every problem instead of throwing the first: each bad document or SLO is reported and left
   * out. `steadfast-slo validate` uses it.
   */
  problems?: SloSpecError[];
}

const OPENSLO_VERSIONS: readonly unknown[] = [OPENSLO_API_VERSION, OPENSLO_V1ALPHA_API_VERSION];

/**
 * Reads one YAML file of any number of Sloth (`prometheus/v1`, the `PrometheusServiceLevel` CRD) and
 * OpenSLO (v1, v1alpha) documents, one per document or, as oslo writes them, a list of objects in one.
 * Sloth SLOs come first, then OpenSLO ones, which may refer to each other across the file.
 */
export function parseSpecs(text: string, options: ParseSpecsOptions = {}): SloDefinition[] {
  const { periodDays = DEFAULT_PERIOD_DAYS, source = 'spec', problems } = options;
  if (!Number.isInteger(periodDays) || periodDays < MIN_PERIOD_DAYS) {
    throw new InvalidSloInputError('periodDays', periodDays, `a whole number of days ≥ ${MIN_PERIOD_DAYS}`);
  }
  const report = (error: unknown): void => {
    if (problems === undefined || !isSloSpecError(error)) throw error;
    problems.push(error);
  };
  const documents = parseAllDocuments(text);
  if (!Array.isArray(documents)) {
    throw new SloSpecError('(file)', 'is not a YAML stream', source);
  }
  const many = documents.length > 1;
  const definitions: SloDefinition[] = [];
  const openSlo: OpenSloDocument[] = [];
  const read = (value: unknown, where: string): void => {
    if (value === null || value === undefined) return;
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new SloSpecError('(document)', 'must be a mapping', where);
    }
    const { version, apiVersion, kind } = value as {
      version?: unknown;
      apiVersion?: unknown;
      kind?: unknown;
    };
    if (version === SLOTH_SPEC_VERSION) {
      definitions.push(...parseSlothSpec(value, { periodDays, source: where, problems }));
    } else if (apiVersion === SLOTH_CRD_API_VERSION && kind === SLOTH_CRD_KIND) {
      definitions.push(...parseSlothCrd(value, { periodDays, source: where, problems }));
    } else if (apiVersion === SLOTH_CRD_API_VERSION) {
      const hint =
        kind === 'AlertWindows'
          ? ': alert windows go in a file of their own, passed with --alert-windows'
          : '';
      throw new SloSpecError(
        'kind',
        `must be ${SLOTH_CRD_KIND}; got ${JSON.stringify(kind) ?? 'nothing'}${hint}`,
        where,
      );
    } else if (OPENSLO_VERSIONS.includes(apiVersion)) {
      openSlo.push({ document: value, source: where });
    } else {
      const [field, found] = version !== undefined ? ['version', version] : ['apiVersion', apiVersion];
      throw new SloSpecError(
        field,
        `must be version: ${SLOTH_SPEC_VERSION} (Sloth), apiVersion: ${SLOTH_CRD_API_VERSION} (Sloth CRD), ${OPENSLO_API_VERSION} or ${OPENSLO_V1ALPHA_API_VERSION} (OpenSLO); got ${JSON.stringify(found) ?? 'nothing'}`,
        where,
      );
    }
  };
  documents.forEach((doc, i) => {
    const where = many ? `${source} (document ${i + 1})` : source;
    try {
      const [error] = doc.errors;
      if (error !== undefined) {
        throw new SloSpecError('(yaml)', error.message.split('\n')[0] ?? error.message, where);
      }
      const value: unknown = doc.toJS();
      if (!Array.isArray(value)) {
        read(value, where);
        return;
      }
      value.forEach((item, j) => {
        try {
          read(item, `${where} [${j}]`);
        } catch (e) {
          report(e);
        }
      });
    } catch (error) {
      report(error);
    }
  });
  try {
    definitions.push(...parseOpenSloDocuments(openSlo, problems));
  } catch (error) {
    report(error);
  }
  const seen = new Set<string>();
  for (const { id } of definitions) {
    if (seen.has(id)) report(new SloSpecError('slos', `two SLOs share the id ${JSON.stringify(id)}`, source));
    seen.add(id);
  }
  return definitions;
}
