import { StatehouseApiError } from '../client/api-error';

/** A step of deploy:local did not do what it should: what was expected, and what came instead. */
export class DeployLocalCheckError extends Error {
  override readonly name = 'DeployLocalCheckError';
}

export function expectThat(condition: boolean, what: string, seen: unknown): void {
  if (!condition) throw new DeployLocalCheckError(`deploy:local: expected ${what}, got ${JSON.stringify(seen)}`);
}

/** The API error a call was refused with; an answer, or any other error, fails the step. */
export async function refusal(call: Promise<unknown>): Promise<StatehouseApiError> {
  const error = await call.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (error === undefined) throw new DeployLocalCheckError('deploy:local: expected the call to be refused, and it was answered');
  if (!(error instanceof StatehouseApiError)) throw error;
  return error;
}
