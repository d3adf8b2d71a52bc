import { PayloadTooLargeError, ValidationError } from './errors';
import { assertRequestId, assertSessionId, assertTenantId } from './session-keys';
import type { SessionLimits } from '../../../lib/contract/session-limits';

export interface TurnRequest {
  /** From the authenticated caller, never from the request body. */
  readonly tenant: string;
  readonly session: string;
  /** Chosen by the client, reused on every retry of the same turn. */
  readonly requestId: string;
  /** The caller's principal; recorded on the user event and checked against the session owner. */
  readonly actor: string;
  readonly message: string;
}

export function validateTurnRequest(request: TurnRequest, limits: Pick<SessionLimits, 'maxMessageBytes'>): void {
  assertTenantId(request.tenant);
  assertSessionId(request.session);
  // Request ids are header map keys and marker keys: printable and unambiguous.
  assertRequestId(request.requestId);
  if (request.actor.length === 0) throw new ValidationError('actor', 'is required');
  if (request.message.trim().length === 0) throw new ValidationError('message', 'is empty');
  const bytes = Buffer.byteLength(request.message, 'utf8');
  if (bytes > limits.maxMessageBytes) throw new PayloadTooLargeError('message', bytes, limits.maxMessageBytes);
}
