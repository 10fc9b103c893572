/**
 * The few error classes the product throws. Every error carries a stable `code` (for logs, API
 * answers and tests) and whether retrying the same call can help (`retryable`). Nothing in the
 * product returns an error as a value or reduces one to a boolean.
 */
export type ErrorCode =
  | 'InvalidInput'
  | 'InvalidPolicy'
  | 'NotFound'
  | 'Conflict'
  /** Was valid, no longer is (an expired approval link): HTTP 410. */
  | 'Gone'
  /** A request body over the size limit: HTTP 413. */
  | 'PayloadTooLarge'
  | 'Throttled'
  | 'Transient'
  | 'Timeout'
  | 'Unauthorized'
  | 'Forbidden'
  | 'InvariantViolation'
  | 'Unsupported'
  | 'Nondeterminism'
  | 'Internal';

export interface RolloutErrorOptions {
  readonly retryable?: boolean;
  /** For throttling: how long the service asked us to wait. */
  readonly retryAfterMs?: number;
  readonly cause?: unknown;
  readonly details?: Readonly<Record<string, unknown>>;
}

export class RolloutError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, options: RolloutErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
    this.details = options.details;
  }
}

/** Bad input from outside (events, policies, HTTP bodies, CLI arguments, scenario files). */
export class ValidationError extends RolloutError {
  /** Where the problem is: a file, a JSON path, a field name. */
  readonly path: string;
  /** `code` lets a subclass say which kind of input was bad (e.g. 'InvalidPolicy'); default 'InvalidInput'. */
  constructor(path: string, message: string, options: RolloutErrorOptions & { code?: ErrorCode } = {}) {
    super(options.code ?? 'InvalidInput', path ? `${path}: ${message}` : message, options);
    this.path = path;
  }
}

/** A call to Azure (or the emulator) failed. `retryable` says whether a later attempt may pass. */
export class AzureCallError extends RolloutError {
  readonly statusCode: number | undefined;
  readonly operation: string;
  constructor(code: ErrorCode, operation: string, message: string, options: RolloutErrorOptions & { statusCode?: number } = {}) {
    super(code, `${operation}: ${message}`, options);
    this.operation = operation;
    this.statusCode = options.statusCode;
  }
}

/** A traffic write or delete that would break a safety rule; it never reaches Azure. */
export class InvariantViolationError extends RolloutError {
  readonly violations: readonly string[];
  constructor(violations: readonly string[]) {
    super('InvariantViolation', `unsafe change refused: ${violations.join('; ')}`, { retryable: false });
    this.violations = violations;
  }
}

export function isRetryable(error: unknown): boolean {
  return error instanceof RolloutError && error.retryable;
}
