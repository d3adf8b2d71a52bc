/**
 * The session table's shape, shared by the CDK construct that creates it and
 * the code that reads it, so the two cannot drift. Plain data, no SDK or CDK
 * imports: both sides map these values onto their own enums (the strings are
 * the CloudFormation values, e.g. `dynamodb.AttributeType.STRING === 'S'`).
 */
export const SESSION_TABLE_SCHEMA = {
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  billingMode: 'PAY_PER_REQUEST',
  /** The summarizer reads new events from the stream; old images let it see deletions. */
  streamViewType: 'NEW_AND_OLD_IMAGES',
  /** Epoch seconds, on the header and on every event, so an expired session leaves nothing behind. */
  timeToLiveAttribute: 'expiresAt',
} as const;

/**
 * The partition key every item of a session shares, `T#{tenant}#S#{session}`:
 * the table's key and the seed of the session's hash chain (hash-chain.ts).
 * Ids exclude `#` (the domain checks them before it writes), so the key is unambiguous.
 */
export function sessionPartitionKey(tenant: string, session: string): string {
  return `T#${tenant}#S#${session}`;
}
