import type { APIGatewayProxyEvent } from 'aws-lambda';

/**
 * API Gateway (REST, Lambda proxy, IAM auth) events as the gateway builds
 * them, so the handler under test sees what it sees in production.
 */

export const ACCOUNT = '111122223333';
/** GovCloud callers: the partition comes from the ARN, never assumed to be `aws`. */
export const ROLE_A = `arn:aws-us-gov:iam::${ACCOUNT}:role/AgencyAApp`;
/** Mapped with its path; assumed-role ARNs drop it. */
export const ROLE_B = `arn:aws-us-gov:iam::${ACCOUNT}:role/apps/AgencyBApp`;
/** A commercial-partition caller of a third tenant. */
export const ROLE_C = 'arn:aws:iam::444455556666:role/AgencyCApp';

/** Agency A's records officers: the approvers of release_records. */
export const ROLE_OFFICER = `arn:aws-us-gov:iam::${ACCOUNT}:role/RecordsOfficer`;

export const TENANT_MAP_JSON = JSON.stringify({
  [ROLE_A]: 'agency-a',
  [ROLE_B]: 'agency-b',
  [ROLE_C]: 'agency-c',
  [ROLE_OFFICER]: 'agency-a',
});

export const ALICE = `arn:aws-us-gov:sts::${ACCOUNT}:assumed-role/AgencyAApp/alice`;
/** Same role, another role session: same tenant, another actor. */
export const ALVIN = `arn:aws-us-gov:sts::${ACCOUNT}:assumed-role/AgencyAApp/alvin`;
export const BOB = `arn:aws-us-gov:sts::${ACCOUNT}:assumed-role/AgencyBApp/bob`;
/** A records officer of agency A. */
export const OLIVIA = `arn:aws-us-gov:sts::${ACCOUNT}:assumed-role/RecordsOfficer/olivia`;
/** Alice herself, in the records-officer role: the same person as the requester. */
export const ALICE_AS_OFFICER = `arn:aws-us-gov:sts::${ACCOUNT}:assumed-role/RecordsOfficer/alice`;

export interface ApiRequest {
  readonly method: string;
  readonly resource: string;
  readonly pathParameters?: Record<string, string> | null;
  readonly query?: Record<string, string | string[]> | null;
  /** An object is sent as JSON; a string is sent as is. */
  readonly body?: unknown;
  /** @default { 'Content-Type': 'application/json' } when there is a body */
  readonly headers?: Record<string, string> | null;
  /** The SigV4-verified caller; null for an event without one. @default ALICE */
  readonly caller?: string | null;
  readonly isBase64Encoded?: boolean;
}

let serial = 0;

/** As the client sent it; a lone surrogate has no percent-encoding, so it stays as is. */
function encodePathSegment(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return value;
  }
}

export function apiEvent(request: ApiRequest): APIGatewayProxyEvent {
  const body =
    request.body === undefined ? null : typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
  const headers =
    request.headers !== undefined ? request.headers : body === null ? {} : { 'Content-Type': 'application/json' };
  const query = request.query ?? null;
  const path = Object.entries(request.pathParameters ?? {}).reduce(
    (resource, [name, value]) => resource.replace(`{${name}}`, encodePathSegment(value)),
    request.resource,
  );
  const caller = request.caller === undefined ? ALICE : request.caller;
  const requestId = `api-${++serial}`;
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
      accountId: ACCOUNT,
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
        accountId: ACCOUNT,
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
        userAgent: 'statehouse-test',
        userArn: caller,
      },
    },
  };
}

/** The six routes, as a client calls them. */
export const api = {
  create: (body?: unknown, caller?: string | null) => apiEvent({ method: 'POST', resource: '/sessions', body, caller }),
  read: (sessionId: string, query?: Record<string, string>, caller?: string | null) =>
    apiEvent({ method: 'GET', resource: '/sessions/{sessionId}', pathParameters: { sessionId }, query, caller }),
  turn: (sessionId: string, body: unknown, caller?: string | null) =>
    apiEvent({ method: 'POST', resource: '/sessions/{sessionId}/turns', pathParameters: { sessionId }, body, caller }),
  verify: (sessionId: string, caller?: string | null) =>
    apiEvent({ method: 'GET', resource: '/sessions/{sessionId}/verify', pathParameters: { sessionId }, caller }),
  delete: (sessionId: string, caller?: string | null) =>
    apiEvent({ method: 'DELETE', resource: '/sessions/{sessionId}', pathParameters: { sessionId }, caller }),
  approve: (sessionId: string, body: unknown, caller?: string | null) =>
    apiEvent({ method: 'POST', resource: '/sessions/{sessionId}/approvals', pathParameters: { sessionId }, body, caller }),
};
