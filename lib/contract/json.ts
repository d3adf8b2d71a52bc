/** A value that survives JSON (and DynamoDB) round trips unchanged. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
