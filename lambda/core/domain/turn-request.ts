import { PayloadTooLargeError, ValidationError } from './errors';
import { assertSessionId, assertTenantId } from './session-keys';
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

/** Request ids are header map keys; the same safe charset as other ids keeps them printable and unambiguous. */
const REQUEST_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function validateTurnRequest(request: TurnRequest, limits: Pick<SessionLimits, 'maxMessageBytes'>): void {
  assertTenantId(request.tenant);
  assertSessionId(request.session);
  if (!REQUEST_ID_PATTERN.test(request.requestId)) {
    throw new ValidationError(
      'requestId',
      `"${request.requestId}" must be 1 to 128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit`,
    );
  }
  if (request.actor.length === 0) throw new ValidationError('actor', 'is required');
  if (request.message.trim().length === 0) throw new ValidationError('message', 'is empty');
  const bytes = Buffer.byteLength(request.message, 'utf8');
  if (bytes > limits.maxMessageBytes) throw new PayloadTooLargeError('message', bytes, limits.maxMessageBytes);
}
