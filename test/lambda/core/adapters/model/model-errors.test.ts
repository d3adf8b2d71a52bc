import { toModelError } from '../../../../../lambda/core/adapters/model/model-errors';
import { ModelError, SessionBusyError } from '../../../../../lambda/core/domain/errors';

/** What reaches a caller when a model call fails in ways the SDK tests cannot provoke. */
describe('toModelError', () => {
  test('an error of unknown origin keeps its text out of the message and in the cause', () => {
    const original = new TypeError("Cannot read properties of undefined (reading 'What is the status of case 12?')");

    const error = toModelError('Bedrock Converse with m', original);

    expect(error).toBeInstanceOf(ModelError);
    expect(error.message).toBe('Bedrock Converse with m failed: TypeError');
    expect(error.cause).toBe(original);
  });

  test('a name that is not an identifier is not repeated', () => {
    const original = Object.assign(new Error('x'), { name: 'prompt was: What is the status of case 12?' });

    expect(toModelError('op', original).message).toBe('op failed: Error');
  });

  test('a thrown non-error is an unknown error', () => {
    expect(toModelError('op', 'What is the status of case 12?').message).toBe('op failed: an unknown error');
  });

  test('a typed domain error passes through unchanged', () => {
    const busy = new SessionBusyError(3, 4);

    expect(toModelError('op', busy)).toBe(busy);
  });
});

/** What the agent loop retries (lib/contract/agent-loop.ts): a throttled or unavailable backend, never a 4xx it will repeat. */
describe('toModelError: whether asking again may succeed', () => {
  const sdkError = (name: string, status?: number, code?: string) =>
    Object.assign(new Error('What is the status of case 12?'), { name, ...(code ? { code } : {}), ...(status ? { $metadata: { httpStatusCode: status } } : {}) });

  test.each([
    ['ThrottlingException', 429, undefined, 'throttled'],
    ['ThrottlingException', 400, undefined, 'throttled'],
    ['ServiceQuotaExceededException', 400, undefined, 'throttled'],
    ['Error', 429, undefined, 'throttled'],
    ['InternalServerException', 500, undefined, 'unavailable'],
    ['ServiceUnavailableException', 503, undefined, 'unavailable'],
    ['ModelError', 424, undefined, undefined],
    ['TimeoutError', undefined, undefined, 'unavailable'],
    ['Error', undefined, 'ECONNRESET', 'unavailable'],
    ['ValidationException', 400, undefined, undefined],
    ['AccessDeniedException', 403, undefined, undefined],
  ])('%s (HTTP %s, %s) is %s', (name, status, code, transient) => {
    const error = toModelError('op', sdkError(name, status, code)) as ModelError;

    expect(error).toBeInstanceOf(ModelError);
    expect(error.transient).toBe(transient);
  });
});
