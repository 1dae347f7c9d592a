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

/** What crosses every boundary: a code, words for the user and, optionally, the runtime's raw text. */
export interface ErrorData { code: ErrorCode; message: string; detail?: string }

export class EngineError extends Error {
  readonly code: ErrorCode;
  /** The runtime's own words (onnxruntime's message, a stack): shown behind a "details" disclosure. */
  readonly detail?: string;
  constructor(code: ErrorCode, message: string, detail?: string) {
    super(message);
    this.name = 'EngineError';
    this.code = code;
    if (detail) this.detail = detail;
  }
  toJSON(): ErrorData {
    return { code: this.code, message: this.message, ...(this.detail ? { detail: this.detail } : {}) };
  }
}

/** Any thrown value as `{code, message}`; unknown errors become 'internal'. */
export function toErrorData(e: unknown): ErrorData {
  if (e instanceof EngineError) return e.toJSON();
  if (e instanceof DOMException && e.name === 'AbortError') return { code: 'cancelled', message: 'The request was cancelled.' };
  const detail = e instanceof Error ? e.message : String(e);
  return { code: 'internal', message: 'Something went wrong inside Steering Lab; nothing you made was lost. The details say what failed.', detail };
}

export function isErrorCode(x: unknown): x is ErrorCode {
  return typeof x === 'string' && (ERROR_CODES as readonly string[]).includes(x);
}
