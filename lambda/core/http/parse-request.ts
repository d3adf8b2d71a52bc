import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { z } from 'zod';
import { PayloadTooLargeError } from '../domain/errors';
import { printable } from './printable';
import { InvalidJsonError, InvalidRequestError, UnsupportedMediaTypeError, type RequestIssue } from './request-errors';
import { MAX_BODY_BYTES } from './request-schemas';

/**
 * Turns the untrusted parts of an API Gateway proxy event into typed values,
 * or throws a 4xx error that says what is wrong. Nothing here touches storage.
 */

export type RequestPart = 'body' | 'query' | 'path';

/** Most issues listed in one response: enough to fix a request, bounded for a hostile one. */
const MAX_ISSUES = 10;

const TENANT_FIELDS: ReadonlySet<string> = new Set(['tenant', 'tenantid', 'tenant_id']);

function issuesOf(error: z.ZodError, part: RequestPart): RequestIssue[] {
  const issues: RequestIssue[] = [];
  for (const issue of error.issues) {
    const at = [part, ...issue.path.map(String)].join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        issues.push({
          path: `${at}.${printable(key)}`,
          message: TENANT_FIELDS.has(key.toLowerCase())
            ? 'is not a field of this request: the tenant comes from the caller\'s IAM identity, never from the request'
            : 'is not a field of this request',
        });
      }
    } else {
      issues.push({ path: at, message: issue.message });
    }
  }
  return issues.slice(0, MAX_ISSUES);
}

/** Validates one part of a request; throws InvalidRequestError listing every problem found. */
export function parsePart<S extends z.ZodType>(schema: S, value: unknown, part: RequestPart): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new InvalidRequestError(issuesOf(parsed.error, part));
  return parsed.data;
}

function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && typeof value === 'string') return value;
  }
  return undefined;
}

/** `application/json`, optionally with `charset=utf-8`; JSON has no other encoding (RFC 8259). */
function assertJsonContentType(event: APIGatewayProxyEvent): void {
  const contentType = header(event, 'content-type');
  if (contentType === undefined) {
    throw new UnsupportedMediaTypeError('the request has a body but no Content-Type; send Content-Type: application/json');
  }
  const [mediaType, ...parameters] = contentType.split(';').map((part) => part.trim().toLowerCase());
  if (mediaType !== 'application/json') {
    throw new UnsupportedMediaTypeError('the body must be JSON; send Content-Type: application/json');
  }
  for (const parameter of parameters) {
    if (parameter.length > 0 && parameter !== 'charset=utf-8' && parameter !== 'charset="utf-8"') {
      throw new UnsupportedMediaTypeError('a JSON body must be UTF-8; send Content-Type: application/json or application/json; charset=utf-8');
    }
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The body as text: API Gateway base64-encodes it only for binary media types. */
function bodyText(event: APIGatewayProxyEvent): string | undefined {
  if (event.body === null || event.body === undefined || event.body === '') return undefined;
  if (!event.isBase64Encoded) return event.body;
  try {
    return utf8.decode(Buffer.from(event.body, 'base64'));
  } catch {
    throw new InvalidJsonError('the body is not UTF-8 text');
  }
}

/**
 * The JSON body, or `whenAbsent` when the request has none (a JSON `null`
 * body is not "none"). Checks, in order: size (413), Content-Type (415),
 * JSON syntax (400).
 */
export function readJsonBody(event: APIGatewayProxyEvent, whenAbsent?: unknown): unknown {
  const text = bodyText(event);
  if (text === undefined) return whenAbsent;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_BODY_BYTES) throw new PayloadTooLargeError('body', bytes, MAX_BODY_BYTES);
  assertJsonContentType(event);
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidJsonError('the body is not valid JSON');
  }
}

/** GET and DELETE take no body; a body there is a client bug worth reporting, not ignoring. */
export function assertNoBody(event: APIGatewayProxyEvent): void {
  if (bodyText(event) !== undefined) {
    throw new InvalidRequestError([{ path: 'body', message: `${event.httpMethod} on this route takes no body` }]);
  }
}

/**
 * Query parameters as one string each. A repeated parameter (`?limit=1&limit=2`)
 * is ambiguous, so it is an error rather than "last one wins".
 */
export function queryOf(event: APIGatewayProxyEvent): Record<string, string> {
  const repeated = Object.entries(event.multiValueQueryStringParameters ?? {})
    .filter(([, values]) => (values?.length ?? 0) > 1)
    .map(([name]) => ({ path: `query.${printable(name)}`, message: 'is given more than once' }));
  if (repeated.length > 0) throw new InvalidRequestError(repeated.slice(0, MAX_ISSUES));
  const query: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) {
    if (typeof value === 'string') query[name] = value;
  }
  return query;
}

export function pathOf(event: APIGatewayProxyEvent): Record<string, string> {
  const path: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.pathParameters ?? {})) {
    if (typeof value === 'string') path[name] = value;
  }
  return path;
}
