import type { APIGatewayProxyEvent } from 'aws-lambda';

/**
 * API Gateway (REST, Lambda proxy, IAM auth) events as the gateway builds
 * them, so a handler run outside Lambda (the tests, `npm run deploy:local`)
 * sees what it sees behind the private API.
 */
export interface ApiRequest {
  readonly method: string;
  readonly resource: string;
  readonly pathParameters?: Record<string, string> | null;
  readonly query?: Record<string, string | string[]> | null;
  /** An object is sent as JSON; a string is sent as is. */
  readonly body?: unknown;
  /** @default { 'Content-Type': 'application/json' } when there is a body */
  readonly headers?: Record<string, string> | null;
  /** The SigV4-verified caller (an assumed-role ARN); null for an event without one. */
  readonly caller: string | null;
  readonly isBase64Encoded?: boolean;
  /** The account of the API. */
  readonly accountId: string;
  /** API Gateway's request id. */
  readonly requestId: string;
}

/** As the client sent it; a lone surrogate has no percent-encoding, so it stays as is. */
function encodePathSegment(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return value;
  }
}

export function apiGatewayEvent(request: ApiRequest): APIGatewayProxyEvent {
  const body =
    request.body === undefined ? null : typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
  const headers =
    request.headers !== undefined ? request.headers : body === null ? {} : { 'Content-Type': 'application/json' };
  const query = request.query ?? null;
  const path = Object.entries(request.pathParameters ?? {}).reduce(
    (resource, [name, value]) => resource.replace(`{${name}}`, encodePathSegment(value)),
    request.resource,
  );
  const { caller, requestId, accountId } = request;
  return {
    resource: request.resource,
    path,
    httpMethod: request.method,
    headers: headers as APIGatewayProxyEvent['headers'],
    multiValueHeaders: headers ? Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])) : {},
    queryStringParameters: query
      ? Object.fromEntries(Object.entries(query).map(([k, v]) => [k, Array.isArray(v) ? v[v.length - 1] : v]))
      : null,
    multiValueQueryStringParameters: query
      ? Object.fromEntries(Object.entries(query).map(([k, v]) => [k, Array.isArray(v) ? v : [v]]))
      : null,
    pathParameters: request.pathParameters ?? null,
    stageVariables: null,
    body,
    isBase64Encoded: request.isBase64Encoded ?? false,
    requestContext: {
      accountId,
      apiId: 'a1b2c3d4e5',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: request.method,
      path: `/v1${path}`,
      stage: 'v1',
      requestId,
      requestTimeEpoch: 0,
      resourceId: 'abc123',
      resourcePath: request.resource,
      identity: {
        accessKey: 'ASIAEXAMPLE',
        accountId,
        apiKey: null,
        apiKeyId: null,
        caller: caller ?? null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '10.0.1.17',
        user: caller ?? null,
        userAgent: 'statehouse',
        userArn: caller,
      },
    },
  };
}

