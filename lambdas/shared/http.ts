/**
 * HTTP helpers of the API: the one error shape, `{success: false, error, message, request_id}` (plus
 * route-specific fields such as predict's `input_received`), JSON responses, and the body size limit.
 * Error bodies never carry a stack trace; the logs do.
 */

export const MAX_BODY_BYTES = 64 * 1024;
export const REQUEST_ID_HEADER = 'x-request-id';

export const STATUS_TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** An error the API answers with its own status and message (anything else is a 500). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The `error` field; the status title unless a route documents its own (e.g. "Invalid input"). */
    readonly error: string = STATUS_TITLES[status] ?? 'Error',
    readonly extra: Readonly<Record<string, unknown>> = {},
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const badRequest = (message: string, extra?: Record<string, unknown>) =>
  new ApiError(400, message, undefined, extra);
export const notFound = (message: string) => new ApiError(404, message);

export interface ErrorBody {
  readonly success: false;
  readonly error: string;
  readonly message: string;
  readonly request_id: string;
  readonly [key: string]: unknown;
}

export function errorBody(
  error: string,
  message: string,
  requestId: string,
  extra: Readonly<Record<string, unknown>> = {},
): ErrorBody {
  return { success: false, error, message, ...extra, request_id: requestId };
}

export function jsonResponse(
  status: number,
  body: unknown,
  requestId: string,
  headers: Readonly<Record<string, string>> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      [REQUEST_ID_HEADER]: requestId,
      ...headers,
    },
  });
}

export function errorResponse(error: ApiError, requestId: string): Response {
  return jsonResponse(
    error.status,
    errorBody(error.error, error.message, requestId, error.extra),
    requestId,
    error.headers,
  );
}

/** Size of a request body in bytes as the client sent it (decoded when API Gateway base64-encoded it). */
export function bodyByteLength(
  body: string | undefined | null,
  isBase64Encoded: boolean | undefined,
): number {
  if (body == null) return 0;
  return isBase64Encoded ? Buffer.byteLength(body, 'base64') : Buffer.byteLength(body, 'utf8');
}
