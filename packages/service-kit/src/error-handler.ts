import {
  AppError,
  type FieldError,
  InternalError,
  isAppError,
  NotFoundError,
  ValidationError,
} from '@steadfast/errors';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { fromDatabaseError } from './db/pg-errors.js';

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
    const message = typeof error.message === 'string' ? error.message : 'Bad request';
    return new AppError(code, status, message, { cause: thrown });
  }
  return new InternalError('Internal error', { cause: thrown });
}

// What a caller is told about a server-side failure: the code says which kind, never the internals.
const SERVER_MESSAGES: Record<number, string> = {
  500: 'An unexpected error occurred',
  502: 'A dependency failed',
  503: 'The service is temporarily unavailable',
  504: 'The operation timed out',
};

function clientMessage(error: AppError): string {
  if (error.type === 'client') return error.message;
  if (error.code === 'INTERNAL_ERROR') return SERVER_MESSAGES[500] as string;
  return error.message || (SERVER_MESSAGES[error.statusCode] ?? (SERVER_MESSAGES[500] as string));
}

export function errorEnvelope(error: AppError, request: FastifyRequest) {
  return {
    error: {
      code: error.code,
      type: error.type,
      message: clientMessage(error),
      details: error.type === 'client' ? (error.details ?? null) : null,
      requestId: request.id,
      traceId: request.trace?.traceId ?? null,
      timestamp: new Date().toISOString(),
      ...(error.retryAfter === undefined ? {} : { retryAfter: error.retryAfter }),
    },
  };
}

function render(thrown: unknown, request: FastifyRequest, reply: FastifyReply) {
  const error = toAppError(thrown);
  if (error.type === 'server') {
    request.log.error({ err: thrown, code: error.code, statusCode: error.statusCode }, 'request failed');
  } else {
    request.log.info(
      { code: error.code, statusCode: error.statusCode },
      `request rejected: ${error.message}`,
    );
  }
  if (error.retryAfter !== undefined) reply.header('retry-after', String(Math.ceil(error.retryAfter)));
  return reply.status(error.statusCode).send(errorEnvelope(error, request));
}

/** One handler renders every failure, including unknown routes, as the error envelope. */
export const errorHandlerPlugin = fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler((error, request, reply) => render(error, request, reply));
    app.setNotFoundHandler((request, reply) =>
      render(
        new NotFoundError(`Route ${request.method} ${request.url.split('?')[0]} does not exist`),
        request,
        reply,
      ),
    );
  },
  { name: '@steadfast/service-kit/errors', fastify: '5.x' },
);
