import { AppError, type FieldError, InternalError, isAppError, ValidationError } from '@steadfast/errors';
import { fromDatabaseError } from './pg-errors.js';

interface AjvIssue {
  instancePath: string;
  message?: string;
  params?: Record<string, unknown>;
}

interface FastifyLikeError {
  statusCode?: unknown;
  code?: unknown;
  message?: unknown;
  validation?: AjvIssue[];
  validationContext?: string;
}

// Fastify's own 4xx failures, renamed into the taxonomy's vocabulary; their messages carry no internals.
const FRAMEWORK_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  431: 'HEADERS_TOO_LARGE',
};
const MALFORMED_BODY_CODES = new Set([
  'FST_ERR_CTP_INVALID_JSON_BODY',
  'FST_ERR_CTP_EMPTY_JSON_BODY',
  'FST_ERR_CTP_INVALID_CONTENT_LENGTH',
]);

// Framework messages that would echo what the client sent (the path, a content type): replaced by fixed ones.
const FRAMEWORK_MESSAGES: Record<string, string> = {
  FST_ERR_BAD_URL: 'The URL is not valid',
  FST_ERR_MAX_PARAM_LENGTH: 'A path parameter is too long',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'This content type is not supported',
};

function fieldOf(context: string | undefined, issue: AjvIssue): string {
  const params = issue.params ?? {};
  const leaf = (params.missingProperty ?? params.additionalProperty) as string | undefined;
  const path = [issue.instancePath.replace(/^\//, '').replaceAll('/', '.'), leaf].filter(Boolean).join('.');
  return [context, path].filter(Boolean).join('.') || context || 'request';
}

function messageOf(issue: AjvIssue): string {
  if (issue.params?.additionalProperty !== undefined) return 'is not an accepted field';
  if (issue.params?.missingProperty !== undefined) return 'is required';
  return issue.message ?? 'is invalid';
}

function fromValidation(error: FastifyLikeError): ValidationError {
  const fields: FieldError[] = (error.validation ?? []).map((issue) => ({
    field: fieldOf(error.validationContext, issue),
    message: messageOf(issue),
  }));
  const summary = fields.map((f) => `${f.field} ${f.message}`).join('; ');
  return new ValidationError(`Request validation failed: ${summary}`, fields);
}

/** Turns any thrown value into an AppError: taxonomy errors pass through, everything else is classified. */
export function toAppError(thrown: unknown): AppError {
  if (isAppError(thrown)) return thrown;
  const error = (typeof thrown === 'object' && thrown !== null ? thrown : {}) as FastifyLikeError;
  if (Array.isArray(error.validation)) return fromValidation(error);
  const database = fromDatabaseError(thrown);
  if (database) return database;
  const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
  if (status >= 400 && status < 500) {
    const malformed = MALFORMED_BODY_CODES.has(String(error.code)) || thrown instanceof SyntaxError;
    const code = malformed ? 'MALFORMED_BODY' : (FRAMEWORK_CODES[status] ?? 'BAD_REQUEST');
    const message =
      FRAMEWORK_MESSAGES[String(error.code)] ??
      (typeof error.message === 'string' ? error.message : 'Bad request');
    return new AppError(code, status, message, { cause: thrown });
  }
  return new InternalError('Internal error', { cause: thrown });
}
