/** Errors the emulated services answer with, in Azure's shape `{ error: { code, message, details? } }`. */
export interface ErrorDetail {
  readonly code: string;
  readonly message: string;
  readonly target?: string;
}

export class ServiceError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: readonly ErrorDetail[] = [],
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'ServiceError';
  }

  body(): { error: { code: string; message: string; details?: ErrorDetail[] } } {
    return { error: { code: this.code, message: this.message, ...(this.details.length > 0 ? { details: [...this.details] } : {}) } };
  }
}

/** A request that breaks one of Azure ML's rules (traffic sums, names, limits...). */
export function badRequest(message: string, target?: string, detailCode = 'BadArgument'): ServiceError {
  return new ServiceError(400, 'UserError', message, [{ code: detailCode, message, ...(target ? { target } : {}) }]);
}

export function notFound(message: string): ServiceError {
  return new ServiceError(404, 'ResourceNotFound', message);
}

export function conflict(message: string): ServiceError {
  return new ServiceError(409, 'Conflict', message);
}
