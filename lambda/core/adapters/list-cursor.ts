import { ValidationError } from '../domain/errors';
import { SESSION_TABLE_SCHEMA } from '../../../lib/contract/session-table';

/**
 * A list page's cursor: the Query's LastEvaluatedKey, as base64url JSON.
 * A cursor comes back from the client, so it is checked before DynamoDB sees
 * it: exactly the index's and the table's key attributes, all strings, and
 * the partition of the list being read. A cursor of another caller's list
 * (another owner, another tenant) is refused, never followed.
 */

const { partitionKey, sortKey, listIndex } = SESSION_TABLE_SCHEMA;
const KEY_FIELDS = [partitionKey.name, sortKey.name, listIndex.partitionKey.name, listIndex.sortKey.name].sort();
/** A key of four attributes of at most 2 KiB (the partition key limit), with room to spare. */
const MAX_CURSOR_CHARS = 12_288;

const invalid = () => new ValidationError('cursor', 'is not a cursor of this list; pass the `cursor` value a previous page of the same list returned');

export function encodeListCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

export function decodeListCursor(cursor: string, listPk: string): Record<string, string> {
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_CHARS || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof key !== 'object' || key === null || Array.isArray(key)) throw invalid();
  const entries = Object.entries(key);
  const fields = entries.map(([field]) => field).sort();
  if (fields.join('\n') !== KEY_FIELDS.join('\n') || entries.some(([, value]) => typeof value !== 'string' || value.length === 0)) throw invalid();
  const start = key as Record<string, string>;
  if (start[listIndex.partitionKey.name] !== listPk) throw invalid();
  return start;
}
