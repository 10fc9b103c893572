/**
 * Query errors in Log Analytics' shape: HTTP 400, `error.code` "BadArgumentError", and an inner
 * error that says what kind of problem it is (SyntaxError, SemanticError). The top-level message
 * names the offending operator or function, because that is what the SDK's RestError shows.
 */
export class KqlError extends Error {
  constructor(
    readonly innerCode: 'SyntaxError' | 'SemanticError' | 'UnsupportedError',
    message: string,
    readonly pos?: number,
  ) {
    super(message);
    this.name = 'KqlError';
  }

  static syntax(message: string, pos?: number): KqlError {
    return new KqlError('SyntaxError', `Query could not be parsed: ${message}`, pos);
  }

  static semantic(message: string): KqlError {
    return new KqlError('SemanticError', message);
  }

  static unsupported(kind: 'operator' | 'function' | 'aggregation', name: string): KqlError {
    return new KqlError(
      'UnsupportedError',
      `Unsupported ${kind} '${name}': the Azure emulator evaluates a subset of KQL (see docs/emulator.md), and '${name}' is not in it.`,
    );
  }

  body(): Record<string, unknown> {
    return {
      error: {
        code: 'BadArgumentError',
        message: `The request had some invalid properties. ${this.message}`,
        innererror: {
          code: this.innerCode,
          message: this.message,
          ...(this.pos !== undefined ? { pos: this.pos } : {}),
        },
      },
    };
  }
}
