/** The closed set of error codes that cross the engine and worker boundaries. */
export const ERROR_CODES = [
  'bad-input', // the caller sent something wrong: a vector of the wrong size, NaN, a layer out of range, an unknown tap
  'unsupported-model', // the model graph or config is not a decoder we can instrument
  'load-failed', // files missing, truncated or unreadable; download failed
  'device', // the requested device or a needed feature (e.g. shader-f16) is not available
  'cancelled', // the request was aborted or superseded
  'not-loaded', // a request needs a model and none is loaded
  'internal', // a bug: anything else
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export class EngineError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'EngineError';
    this.code = code;
  }
  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

/** Any thrown value as `{code, message}`; unknown errors become 'internal'. */
export function toErrorData(e: unknown): { code: ErrorCode; message: string } {
  if (e instanceof EngineError) return e.toJSON();
  if (e instanceof DOMException && e.name === 'AbortError') return { code: 'cancelled', message: 'The request was cancelled.' };
  const message = e instanceof Error ? e.message : String(e);
  return { code: 'internal', message };
}

export function isErrorCode(x: unknown): x is ErrorCode {
  return typeof x === 'string' && (ERROR_CODES as readonly string[]).includes(x);
}
