import {
  AppError,
  ConflictError,
  DependencyError,
  isAppError,
  OverloadedError,
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
// What a client's input can make PostgreSQL refuse. Class 22 (data exception: bad format, out of range, NUL in
// text or jsonb 22P05, untranslatable character) and class 54 (program limit: an index row over the btree limit,
// 54000) are the value's fault; so are NOT NULL and CHECK violations.
const INPUT_CLASSES = new Set(['22']);
const TOO_LARGE_CLASSES = new Set(['54']);
const CONSTRAINT_INPUT_CODES = new Set(['23502', '23514']);
// The row the write depends on is held or changed by someone else: a conflict the client may retry.
const CONFLICT_CODES = new Set(['23P01', '23001', '40001', '40P01', '55P03']);
// The database cut the query short by its own budget (statement_timeout, transaction_timeout, lock_timeout is 55P03).
const TIMEOUT_CODES = new Set(['57014', '25P04']);
const UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '53300', '53100', '53200']);
// SQLSTATE classes that mean the database itself is failing: connection (08), resources (53), operator
// intervention (57P0x), system (58), configuration (F0), internal (XX).
const SERVER_FAILURE_CLASSES = new Set(['08', '53', '58', 'F0', 'XX']);
// The process, not the database, is out of descriptors: a connect fails, but the database is fine.
const DESCRIPTOR_ERRNOS = new Set(['EMFILE', 'ENFILE']);

function isSqlState(code: unknown): code is string {
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}

function errnoOf(error: unknown): { code?: unknown; message?: unknown } {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown; message?: unknown }) : {};
}

/** A client that went away mid-request: Node reports its upload as `ECONNRESET` with the message `aborted`. */
export function isClientAbort(error: unknown): boolean {
  const { code, message } = errnoOf(error);
  return code === 'ECONNRESET' && message === 'aborted';
}

export function isDatabaseConnectionError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || isClientAbort(error)) return false;
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
  if (isClientAbort(error)) {
    // 499 as nginx logs it: nobody is left to read the answer, and it is no one's failure but the client's.
    return new AppError('CLIENT_CLOSED_REQUEST', 499, 'The client closed the request', { cause: error });
  }
  if (DESCRIPTOR_ERRNOS.has(String(errnoOf(error).code))) {
    return new OverloadedError(1, 'The service is out of file descriptors; retry later');
  }
  if (isDatabaseConnectionError(error)) {
    return new DependencyError('The database is unavailable', { cause: error });
  }
  const code = (error as PgErrorLike | null)?.code;
  if (!isSqlState(code)) return undefined;
  if (code === '23505')
    return new ConflictError('A record with the same unique value already exists', 'CONFLICT');
  if (code === '23503')
    return new ConflictError('A referenced record does not exist or is still referenced', 'CONFLICT');
  const sqlClass = code.slice(0, 2);
  if (INPUT_CLASSES.has(sqlClass))
    return new ValidationError('A value has an invalid format', [], 'INVALID_INPUT');
  if (TOO_LARGE_CLASSES.has(sqlClass))
    return new ValidationError('A value is too large to store', [], 'VALUE_TOO_LARGE');
  if (CONSTRAINT_INPUT_CODES.has(code)) return new ValidationError('A value breaks a data constraint');
  if (CONFLICT_CODES.has(code))
    return new ConflictError('The record is being changed by another request; retry', 'CONCURRENT_UPDATE');
  if (TIMEOUT_CODES.has(code)) return new TimeoutError('The database query timed out', { cause: error });
  return undefined;
}

/**
 * Whether a failed database call is the database's failure, the only kind the breaker counts: a lost or refused
 * connection, a server-side failure (classes 08, 53, 57P0x, 58, F0, XX), the guard's own timeout (the database did
 * not answer within its own budget), an injected outage. A request's own fault never is: bad input (22, 54,
 * constraints), a conflict, a query the database cut at its budget (57014, 25P04), a client that went away, a
 * process out of descriptors, a bug in the caller.
 */
export function isDatabaseFailure(error: unknown): boolean {
  if (isAppError(error)) return error.statusCode >= 500 && error.code !== 'OVERLOADED';
  if (isClientAbort(error) || DESCRIPTOR_ERRNOS.has(String(errnoOf(error).code))) return false;
  if (isDatabaseConnectionError(error)) return true;
  const code = (error as PgErrorLike | null)?.code;
  return isSqlState(code) && SERVER_FAILURE_CLASSES.has(code.slice(0, 2));
}
