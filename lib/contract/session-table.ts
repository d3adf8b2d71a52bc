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
  /**
   * The one global secondary index, overloaded (sparse: only items that carry
   * `gpk` are in it): a session's header under its owner, so `GET /sessions`
   * is one Query, and a pending approval's inbox item under its tenant, so
   * `GET /approvals` is one Query. One index, because CloudFormation adds at
   * most one GSI to an existing table per update (DynamoDB UpdateTable:
   * "You can create or delete only one global secondary index per UpdateTable
   * operation", docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTable.html).
   * INCLUDE, not ALL: a header's request map and summary never reach the index.
   */
  listIndex: {
    name: 'Lists',
    partitionKey: { name: 'gpk', type: 'S' },
    sortKey: { name: 'gsk', type: 'S' },
    projectionType: 'INCLUDE',
    nonKeyAttributes: [
      // a session's listing
      'owner', 'agent', 'status', 'lastSeq', 'tokens', 'createdAt', 'updatedAt', 'expiresAt',
      // a pending approval's inbox entry
      'toolCallId', 'tool', 'input', 'requestedBy', 'approverRoles', 'requestedAt', 'timeoutSeconds',
    ],
  },
} as const;

/**
 * The partition key every item of a session shares, `T#{tenant}#S#{session}`:
 * the table's key and the seed of the session's hash chain (hash-chain.ts).
 * Ids exclude `#` (the domain checks them before it writes), so the key is unambiguous.
 */
export function sessionPartitionKey(tenant: string, session: string): string {
  return `T#${tenant}#S#${session}`;
}
