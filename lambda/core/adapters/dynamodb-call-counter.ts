import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * Counts DynamoDB round trips by operation, so a test or benchmark can hold
 * the turn path to its budget of one Query and one TransactWriteItems.
 * Registered in the deserialize step, which runs once per HTTP attempt: an
 * SDK retry counts as another round trip, as it is one.
 */
export interface DynamoDbCallCounter {
  /** Round trips per operation, e.g. `{ Query: 1, TransactWriteItems: 1 }`. */
  readonly counts: Readonly<Record<string, number>>;
  readonly total: number;
  reset(): void;
  /** Removes the middleware from the client. */
  detach(): void;
}

let counterSerial = 0;

export function attachCallCounter(client: DynamoDBClient): DynamoDbCallCounter {
  const name = `statehouseCallCounter${++counterSerial}`;
  let counts: Record<string, number> = {};
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
      counts[operation] = (counts[operation] ?? 0) + 1;
      return next(args);
    },
    { step: 'deserialize', name },
  );
  return {
    get counts() {
      return { ...counts };
    },
    get total() {
      return Object.values(counts).reduce((sum, n) => sum + n, 0);
    },
    reset() {
      counts = {};
    },
    detach() {
      client.middlewareStack.remove(name);
    },
  };
}
