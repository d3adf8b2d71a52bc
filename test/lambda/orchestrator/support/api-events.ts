import type { APIGatewayProxyEvent } from 'aws-lambda';
import { apiGatewayEvent, type ApiRequest as GatewayRequest } from '../../../../lib/emulator/api-gateway-event';

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

/** Agency C's records officers: the same role name as agency A's, in another tenant. */
export const ROLE_OFFICER_C = 'arn:aws:iam::444455556666:role/RecordsOfficer';

export const TENANT_MAP_JSON = JSON.stringify({
  [ROLE_A]: 'agency-a',
  [ROLE_B]: 'agency-b',
  [ROLE_C]: 'agency-c',
  [ROLE_OFFICER]: 'agency-a',
  [ROLE_OFFICER_C]: 'agency-c',
});

export const ALICE = `arn:aws-us-gov:sts::${ACCOUNT}:assumed-role/AgencyAApp/alice`;
/** Same role, another role session: same tenant, another actor. */
export const ALVIN = `arn:aws-us-gov:sts::${ACCOUNT}:assumed-role/AgencyAApp/alvin`;
export const BOB = `arn:aws-us-gov:sts::${ACCOUNT}:assumed-role/AgencyBApp/bob`;
/** A records officer of agency A. */
export const OLIVIA = `arn:aws-us-gov:sts::${ACCOUNT}:assumed-role/RecordsOfficer/olivia`;
/** A records officer of agency C: an approver by role name, of another tenant. */
export const OSCAR_C = 'arn:aws:sts::444455556666:assumed-role/RecordsOfficer/oscar';
/** Alice herself, in the records-officer role: the same person as the requester. */
export const ALICE_AS_OFFICER = `arn:aws-us-gov:sts::${ACCOUNT}:assumed-role/RecordsOfficer/alice`;

/** A test request: the caller defaults to ALICE, the account to ACCOUNT. */
export interface ApiRequest extends Omit<GatewayRequest, 'caller' | 'accountId' | 'requestId'> {
  /** The SigV4-verified caller; null for an event without one. @default ALICE */
  readonly caller?: string | null;
}

let serial = 0;

export function apiEvent(request: ApiRequest): APIGatewayProxyEvent {
  return apiGatewayEvent({ ...request, caller: request.caller === undefined ? ALICE : request.caller, accountId: ACCOUNT, requestId: `api-${++serial}` });
}

/** The session routes, as a client calls them. */
export const api = {
  create: (body?: unknown, caller?: string | null) => apiEvent({ method: 'POST', resource: '/sessions', body, caller }),
  list: (query?: Record<string, string>, caller?: string | null) => apiEvent({ method: 'GET', resource: '/sessions', query, caller }),
  inbox: (query?: Record<string, string>, caller?: string | null) => apiEvent({ method: 'GET', resource: '/approvals', query, caller }),
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
  readTurn: (sessionId: string, requestId: string, caller?: string | null) =>
    apiEvent({ method: 'GET', resource: '/sessions/{sessionId}/turns/{requestId}', pathParameters: { sessionId, requestId }, caller }),
  cancel: (sessionId: string, requestId: string, body?: unknown, caller?: string | null) =>
    apiEvent({ method: 'POST', resource: '/sessions/{sessionId}/turns/{requestId}/cancel', pathParameters: { sessionId, requestId }, body, caller }),
};
