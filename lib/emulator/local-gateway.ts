import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { OpenResponse } from '../../lambda/orchestrator/stream-handler';
import { apiGatewayEvent } from './api-gateway-event';
import { listenOnLoopback, type LoopbackServer } from './loopback-server';
import { verifySigV4, type CredentialLookup, type IssuedCredential } from './sigv4-verifier';

/**
 * A local stand-in for the private REST API (IAM auth, Lambda proxy
 * integration) on 127.0.0.1, for tests and `deploy:local`: what reaches the
 * handler has passed real SigV4 verification against credentials moto's IAM
 * or STS issued, and arrives as the proxy event API Gateway sends, with the
 * caller's ARN in `requestContext.identity`. Requests it refuses reach
 * nothing. It does not evaluate IAM policies (execute-api:Invoke), the
 * resource policy or the VPC endpoint: it answers any key it can verify.
 */

export interface GatewayRoute {
  readonly method: string;
  /** An API Gateway resource path: `/sessions/{sessionId}/turns`. */
  readonly resource: string;
  /** Served by the streaming handler, when the gateway has one (REST `responseTransferMode: STREAM`). */
  readonly streaming?: boolean;
}

export type ProxyHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
/** The shape of lambda/orchestrator/stream-handler.ts `createStreamingHandler`. */
export type StreamingProxyHandler = (event: APIGatewayProxyEvent, open: OpenResponse) => Promise<void>;

export interface LocalGatewayProps {
  /** The only resources and methods it answers; anything else is API Gateway's 403 Missing Authentication Token. */
  readonly routes: readonly GatewayRoute[];
  readonly handler: ProxyHandler;
  /** For routes marked `streaming`. @default none: every route is buffered */
  readonly streamingHandler?: StreamingProxyHandler;
  /** Access key id → what the issuer holds for it. */
  readonly credentials: CredentialLookup;
  /** The API's region: signatures must be scoped to it. */
  readonly region: string;
  /** The API's account, as `requestContext.accountId`. */
  readonly accountId: string;
  /** @default 'v1' (the SessionApi construct's default stage) */
  readonly stage?: string;
  /** @default () => new Date() */
  readonly clock?: () => Date;
  /** Told of every request as its answer starts, before the client can read it: API Gateway's access log. */
  readonly onRequest?: (entry: GatewayAccessEntry) => void;
}

/**
 * One request as API Gateway's access log shows it ($context.requestId,
 * httpMethod, path, resourcePath, status, identity.userArn, error.responseType;
 * docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-variables-for-access-logging.html).
 */
export interface GatewayAccessEntry {
  readonly requestId: string;
  readonly method: string;
  /** As received, stage included. */
  readonly path: string;
  /** The route's resource, once one matched. */
  readonly resource?: string;
  readonly status: number;
  /** The principal whose SigV4 signature was verified: absent when the gateway refused the request before verifying one. */
  readonly caller?: string;
  /** The gateway's own refusal (`x-amzn-ErrorType`). */
  readonly errorType?: string;
}

export interface LocalGateway extends LoopbackServer {
  /** `http://127.0.0.1:<port>/<stage>/`: what a client takes as the API's URL. */
  readonly invokeUrl: string;
}

/** API Gateway's payload limit (docs.aws.amazon.com/apigateway/latest/developerguide/limits.html). */
export const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

interface Matched {
  readonly route: GatewayRoute;
  readonly pathParameters: Record<string, string>;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The route a path names; literal segments win over parameters, as API Gateway prefers the most specific resource. */
function matchRoute(routes: readonly GatewayRoute[], method: string, segments: readonly string[]): Matched | undefined {
  let best: (Matched & { literals: number }) | undefined;
  for (const route of routes) {
    if (route.method !== method) continue;
    const template = route.resource.split('/').filter(Boolean);
    if (template.length !== segments.length) continue;
    const pathParameters: Record<string, string> = {};
    let literals = 0;
    const matches = template.every((part, index) => {
      const parameter = /^\{([^}]+)\}$/.exec(part)?.[1];
      if (parameter === undefined) {
        literals++;
        return part === segments[index];
      }
      pathParameters[parameter] = decodeSegment(segments[index]);
      return segments[index] !== '';
    });
    if (matches && (!best || literals > best.literals)) best = { route, pathParameters, literals };
  }
  return best && { route: best.route, pathParameters: best.pathParameters };
}

/** Headers as received: lower-case names for verification, the sender's casing for the event; repeats joined with `,`. */
function headersOf(request: IncomingMessage): { lower: Record<string, string>; asSent: Record<string, string> } {
  const lower: Record<string, string> = {};
  const asSent: Record<string, string> = {};
  const casing: Record<string, string> = {};
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i];
    const value = request.rawHeaders[i + 1];
    const key = name.toLowerCase();
    lower[key] = key in lower ? `${lower[key]},${value}` : value;
    casing[key] ??= name;
    asSent[casing[key]] = lower[key];
  }
  return { lower, asSent };
}

async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_PAYLOAD_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function gatewayError(response: ServerResponse, requestId: string, status: number, errorType: string, message: string): void {
  response.writeHead(status, { 'Content-Type': 'application/json', 'x-amzn-RequestId': requestId, 'x-amzn-ErrorType': errorType });
  response.end(JSON.stringify({ message }));
}

function proxyEvent(
  props: LocalGatewayProps,
  stage: string,
  matched: Matched,
  received: { method: string; rawQuery: string; headers: Record<string, string>; body: Buffer; sourceIp: string; requestId: string; now: Date },
  caller: IssuedCredential,
): APIGatewayProxyEvent {
  const query: Record<string, string[]> = {};
  for (const [key, value] of new URLSearchParams(received.rawQuery)) (query[key] ??= []).push(value);
  const event = apiGatewayEvent({
    method: received.method,
    resource: matched.route.resource,
    pathParameters: Object.keys(matched.pathParameters).length > 0 ? matched.pathParameters : null,
    query: Object.keys(query).length > 0 ? query : null,
    body: received.body.length > 0 ? received.body.toString('utf8') : undefined,
    headers: received.headers,
    caller: caller.arn,
    accountId: props.accountId,
    requestId: received.requestId,
  });
  const userAgent = Object.entries(received.headers).find(([name]) => name.toLowerCase() === 'user-agent')?.[1] ?? '';
  return {
    ...event,
    requestContext: {
      ...event.requestContext,
      stage,
      path: `/${stage}${event.path}`,
      requestTimeEpoch: received.now.getTime(),
      identity: { ...event.requestContext.identity, accessKey: caller.accessKeyId, accountId: caller.accountId, sourceIp: received.sourceIp, userAgent },
    },
  };
}

type Answered = (status: number) => void;

function writeResult(response: ServerResponse, requestId: string, result: APIGatewayProxyResult, answered: Answered): void {
  const headers: Record<string, string | string[]> = { 'x-amzn-RequestId': requestId };
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) headers[name] = values.map(String);
  answered(result.statusCode);
  response.writeHead(result.statusCode, headers);
  response.end(result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body);
}

async function stream(
  response: ServerResponse,
  requestId: string,
  handler: StreamingProxyHandler,
  event: APIGatewayProxyEvent,
  answered: Answered,
  refuse: (status: number, errorType: string, message: string) => void,
): Promise<void> {
  const open: OpenResponse = ({ statusCode, headers }) => {
    answered(statusCode);
    response.writeHead(statusCode, { ...headers, 'x-amzn-RequestId': requestId });
    // Each piece goes out as the handler writes it (chunked), not when the handler returns.
    return { write: (chunk) => void response.write(chunk), end: () => void response.end() };
  };
  try {
    await handler(event, open);
  } catch {
    if (!response.headersSent) return refuse(502, 'InternalServerErrorException', 'Internal server error');
    response.destroy();
    return;
  }
  if (!response.headersSent) return refuse(502, 'InternalServerErrorException', 'Internal server error');
  if (!response.writableEnded) response.end();
}

export async function startLocalGateway(props: LocalGatewayProps): Promise<LocalGateway> {
  const stage = props.stage ?? 'v1';
  const clock = props.clock ?? (() => new Date());

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const now = clock();
    const method = request.method ?? 'GET';
    const target = request.url ?? '/';
    const queryAt = target.indexOf('?');
    const path = queryAt === -1 ? target : target.slice(0, queryAt);
    const rawQuery = queryAt === -1 ? '' : target.slice(queryAt + 1);
    let resource: string | undefined;
    let caller: string | undefined;
    const answered = (status: number, errorType?: string) =>
      props.onRequest?.({ requestId, method, path, status, ...(resource ? { resource } : {}), ...(caller ? { caller } : {}), ...(errorType ? { errorType } : {}) });
    const refuse = (status: number, errorType: string, message: string) => {
      answered(status, errorType);
      gatewayError(response, requestId, status, errorType, message);
    };
    const body = await readBody(request);
    if (!body) return refuse(413, 'RequestTooLongException', 'Request Too Long');

    const [first, ...rest] = path.split('/').slice(1);
    if (first !== stage) return refuse(403, 'ForbiddenException', 'Forbidden');
    const segments = rest.length > 0 && rest[rest.length - 1] === '' ? rest.slice(0, -1) : rest;
    const matched = matchRoute(props.routes, method, segments);
    // API Gateway answers an unknown resource or method this way, signed or not.
    if (!matched) return refuse(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
    resource = matched.route.resource;

    const headers = headersOf(request);
    const verified = await verifySigV4({ method, path, rawQuery, headers: headers.lower, body }, { region: props.region, lookup: props.credentials, now });
    if (!verified.ok) return refuse(403, verified.errorType, verified.message);
    caller = verified.credential.arn;

    const sourceIp = request.socket.remoteAddress ?? '127.0.0.1';
    const event = proxyEvent(props, stage, matched, { method, rawQuery, headers: headers.asSent, body, sourceIp, requestId, now }, verified.credential);
    if (matched.route.streaming && props.streamingHandler) return stream(response, requestId, props.streamingHandler, event, answered, refuse);
    let result: APIGatewayProxyResult;
    try {
      result = await props.handler(event);
    } catch {
      // A function error: API Gateway's 502, the function's log has the cause.
      return refuse(502, 'InternalServerErrorException', 'Internal server error');
    }
    writeResult(response, requestId, result, answered);
  }

  const server = createServer((request, response) => {
    serve(request, response).catch(() => {
      if (!response.headersSent) gatewayError(response, 'unknown', 500, 'InternalServerErrorException', 'Internal server error');
      else response.destroy();
    });
  });
  const listening = await listenOnLoopback(server);
  return { ...listening, invokeUrl: `${listening.endpoint}/${stage}/` };
}
