import {
  type AppError,
  ConflictError,
  DependencyError,
  TimeoutError,
  ValidationError,
} from '@steadfast/errors';

/** The fields of a PostgreSQL server error that matter for mapping (node-postgres' DatabaseError). */
export interface PgErrorLike {
  code?: string;
  constraint?: string;
  message?: string;
}

const CONNECTION_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EAI_AGAIN',
]);
// node-postgres reports a lost or refused connection with these messages and no code.
const CONNECTION_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Connection ended unexpectedly',
  'Cannot use a pool after calling end',
];
const INVALID_INPUT_CODES = new Set(['22P02', '22007', '22008', '22001', '22003', '22023', '22021']);
const CONSTRAINT_INPUT_CODES = new Set(['23502', '23514']);
const UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '53300', '53100', '53200']);

function isSqlState(code: unknown): code is string {
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}

export function isDatabaseConnectionError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (
    typeof code === 'string' &&
    (CONNECTION_ERRNOS.has(code) || code.startsWith('08') || UNAVAILABLE_CODES.has(code))
  ) {
    return true;
  }
  if (error instanceof AggregateError) return error.errors.some(isDatabaseConnectionError);
  return typeof message === 'string' && CONNECTION_MESSAGES.some((text) => message.includes(text));
}

export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const pg = error as PgErrorLike | null;
  return pg?.code === '23505' && (constraint === undefined || pg.constraint === constraint);
}

/**
 * Awaits `work`, turning a violation of the unique `constraint` into the domain's own error (`EMAIL_TAKEN`, say)
 * instead of the generic 409 the error handler would give it.
 */
export async function rejectingDuplicate<T>(
  work: Promise<T>,
  constraint: string,
  error: () => Error,
): Promise<T> {
  try {
    return await work;
  } catch (thrown) {
    if (isUniqueViolation(thrown, constraint)) throw error();
    throw thrown;
  }
}

/**
 * Maps a PostgreSQL or driver error to the taxonomy, without its message (which can carry SQL or row data).
 * Returns undefined for anything that is not a database error.
 */
export function fromDatabaseError(error: unknown): AppError | undefined {
  if (isDatabaseConnectionError(error)) {
    return new DependencyError('The database is unavailable', { cause: error });
  }
  const code = (error as PgErrorLike | null)?.code;
  if (!isSqlState(code)) return undefined;
  if (code === '23505')
    return new ConflictError('A record with the same unique value already exists', 'CONFLICT');
  if (code === '23503')
    return new ConflictError('A referenced record does not exist or is still referenced', 'CONFLICT');
  if (INVALID_INPUT_CODES.has(code))
    return new ValidationError('A value has an invalid format', [], 'INVALID_INPUT');
  if (CONSTRAINT_INPUT_CODES.has(code)) return new ValidationError('A value breaks a data constraint');
  if (code === '57014') return new TimeoutError('The database query timed out', { cause: error });
  return undefined;
}
