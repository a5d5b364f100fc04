// JSON, except for numbers: JSON turns NaN and Infinity into null.
const shown = (value: unknown): string =>
  typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));

/** A value handed to the SLO math is out of its domain, e.g. an objective of 99.9 where a ratio is expected. */
export class InvalidSloInputError extends RangeError {
  readonly code = 'SLO_INVALID_INPUT';

  constructor(
    readonly field: string,
    readonly value: unknown,
    expectation: string,
  ) {
    super(`${field} must be ${expectation}; got ${shown(value)}`);
    this.name = 'InvalidSloInputError';
  }
}

/** An SLO spec file cannot be turned into rules. `field` is the path inside the document, e.g. `slos[0].objective`. */
export class SloSpecError extends Error {
  readonly code = 'SLO_SPEC_INVALID';

  constructor(
    readonly field: string,
    /** What is wrong with the field, without the file and field in front. */
    readonly detail: string,
    readonly source?: string,
  ) {
    super(`${source === undefined ? '' : `${source}: `}${field}: ${detail}`);
    this.name = 'SloSpecError';
  }
}

export const isInvalidSloInputError = (e: unknown): e is InvalidSloInputError =>
  e instanceof InvalidSloInputError;
export const isSloSpecError = (e: unknown): e is SloSpecError => e instanceof SloSpecError;
