/** Identifiers only: matches error names, codes and request ids, never free text. */
const IDENTIFIER = /^[A-Za-z0-9_.:-]{1,128}$/;

interface FailureFields {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly cause?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown; readonly attempts?: unknown; readonly requestId?: unknown };
}

/** What can be logged of a model failure without its text: the names, status and AWS request id along its cause chain. */
export function failureIdentifiers(error: unknown): Record<string, unknown>[] {
  const chain: Record<string, unknown>[] = [];
  for (let current = error; typeof current === 'object' && current !== null && chain.length < 4; current = (current as FailureFields).cause) {
    const fields = current as FailureFields;
    const identifier = (value: unknown) => (typeof value === 'string' && IDENTIFIER.test(value) ? value : undefined);
    const number = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
    chain.push(
      Object.fromEntries(
        Object.entries({
          name: identifier(fields.name),
          code: identifier(fields.code),
          httpStatusCode: number(fields.$metadata?.httpStatusCode),
          attempts: number(fields.$metadata?.attempts),
          awsRequestId: identifier(fields.$metadata?.requestId),
        }).filter(([, value]) => value !== undefined),
      ),
    );
  }
  return chain;
}
