/**
 * Where content too large for a DynamoDB item lives. Keys come from
 * `eventPayloadKey`; the store adds nothing of its own to them.
 */
export interface PayloadStore {
  put(key: string, content: string): Promise<void>;
  /** Throws when the key does not exist: a dangling reference is an integrity fault, not an empty payload. */
  get(key: string): Promise<string>;
  /** Removes every payload under the prefix; returns how many were removed. */
  deletePrefix(prefix: string): Promise<number>;
}
