export { AppError, type AppErrorOptions, type ErrorType, isAppError } from './app-error.js';
export {
  ConflictError,
  DependencyError,
  type FieldError,
  ForbiddenError,
  InternalError,
  InvalidStateError,
  isConflictError,
  isDependencyError,
  isNotFoundError,
  isTimeoutError,
  isValidationError,
  NotFoundError,
  RateLimitedError,
  TimeoutError,
  UnauthenticatedError,
  ValidationError,
} from './taxonomy.js';
