import { parseAllDocuments } from 'yaml';
import { MIN_PERIOD_DAYS } from './alert-windows.js';
import { InvalidSloInputError, SloSpecError } from './errors.js';
import { OPENSLO_API_VERSION, type OpenSloDocument, parseOpenSloDocuments } from './openslo-spec.js';
import type { SloDefinition } from './slo-definition.js';
import { parseSlothSpec, SLOTH_SPEC_VERSION } from './sloth-spec.js';

export const DEFAULT_PERIOD_DAYS = 30;

export interface ParseSpecsOptions {
  /** For Sloth specs, which carry no period of their own. */
  periodDays?: number;
  /** A file name to put in front of errors. */
  source?: string;
}

/** Reads one YAML file of any number of Sloth and OpenSLO documents: Sloth SLOs first, then OpenSLO ones. */
export function parseSpecs(text: string, options: ParseSpecsOptions = {}): SloDefinition[] {
  const { periodDays = DEFAULT_PERIOD_DAYS, source = 'spec' } = options;
  if (!Number.isInteger(periodDays) || periodDays < MIN_PERIOD_DAYS) {
    throw new InvalidSloInputError('periodDays', periodDays, `a whole number of days ≥ ${MIN_PERIOD_DAYS}`);
  }
  const documents = parseAllDocuments(text);
  if (!Array.isArray(documents)) {
    throw new SloSpecError('(file)', 'is not a YAML stream', source);
  }
  const many = documents.length > 1;
  const definitions: SloDefinition[] = [];
  const openSlo: OpenSloDocument[] = [];
  documents.forEach((doc, i) => {
    const where = many ? `${source} (document ${i + 1})` : source;
    const [error] = doc.errors;
    if (error !== undefined) {
      throw new SloSpecError('(yaml)', error.message.split('\n')[0] ?? error.message, where);
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return;
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new SloSpecError('(document)', 'must be a mapping', where);
    }
    const { version, apiVersion } = value as { version?: unknown; apiVersion?: unknown };
    if (version === SLOTH_SPEC_VERSION) {
      definitions.push(...parseSlothSpec(value, { periodDays, source: where }));
    } else if (apiVersion === OPENSLO_API_VERSION) {
      openSlo.push({ document: value, source: where });
    } else {
      const [field, found] = version !== undefined ? ['version', version] : ['apiVersion', apiVersion];
      throw new SloSpecError(
        field,
        `must be version: ${SLOTH_SPEC_VERSION} (Sloth) or apiVersion: ${OPENSLO_API_VERSION} (OpenSLO); got ${JSON.stringify(found) ?? 'nothing'}`,
        where,
      );
    }
  });
  definitions.push(...parseOpenSloDocuments(openSlo));
  const seen = new Set<string>();
  for (const { id } of definitions) {
    if (seen.has(id)) throw new SloSpecError('slos', `two SLOs share the id ${JSON.stringify(id)}`, source);
    seen.add(id);
  }
  return definitions;
}
