import { ChatCompletionStreamAssembler } from '../../../../../lambda/core/adapters/model/openai-stream';
import { ModelError } from '../../../../../lambda/core/domain/errors';

/**
 * The SSE assembly as a pure function over recorded chunk bytes. moto has no
 * InvokeEndpointWithResponseStream; the streamed path through the real SDK
 * client runs against the scripted endpoint in sagemaker-stream.test.ts.
 */

const OPERATION = 'SageMaker endpoint statehouse-llm';

function chunk(delta: object, extra: object = {}): string {
  return `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta }], ...extra })}\n\n`;
}

/** What a TGI/LMI container sends for a reply with text, two tool calls and a usage chunk. */
const RECORDED = [
  chunk({ role: 'assistant', content: '' }),
  chunk({ content: 'Checking ' }),
  chunk({ content: 'both cases — ' }),
  chunk({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'lookup_case', arguments: '' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '{"caseNumber":' } }] }),
  chunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'lookup_case', arguments: '{"caseNumber":"13"}' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '"12"}' } }] }),
  chunk({}, { choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] }),
  `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 52, completion_tokens: 21 } })}\n\n`,
  'data: [DONE]\n\n',
].join('');

const EXPECTED = {
  text: 'Checking both cases — ',
  toolCalls: [
    { id: 'call_a', name: 'lookup_case', input: { caseNumber: '12' } },
    { id: 'call_b', name: 'lookup_case', input: { caseNumber: '13' } },
  ],
  usage: { input: 52, output: 21 },
};

function assemble(parts: readonly Uint8Array[]) {
  const assembler = new ChatCompletionStreamAssembler(OPERATION);
  for (const part of parts) assembler.push(part);
  return assembler.finish();
}

function failureOf(parts: readonly Uint8Array[]): ModelError {
  try {
    assemble(parts);
  } catch (error) {
    if (error instanceof ModelError) return error;
    throw error;
  }
  throw new Error('expected a ModelError');
}

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'utf-8'));

describe('ChatCompletionStreamAssembler', () => {
  test('assembles text, tool-call deltas and usage from whole events', () => {
    expect(assemble([bytes(RECORDED)])).toEqual(EXPECTED);
  });

  test.each([1, 2, 3, 7, 64])('gives the same reply when PayloadParts split the bytes every %i bytes', (size) => {
    // Splits fall mid-line, mid-JSON and inside the multi-byte "—".
    const all = bytes(RECORDED);
    const parts: Uint8Array[] = [];
    for (let offset = 0; offset < all.length; offset += size) parts.push(all.subarray(offset, offset + size));

    expect(assemble(parts)).toEqual(EXPECTED);
  });

  test('reads jsonlines without the data: prefix, CRLF endings and a last line without newline', () => {
    const lines = [
      JSON.stringify({ choices: [{ delta: { content: 'Case 12 ' } }] }),
      ': keep-alive comment',
      'event: message',
      JSON.stringify({ choices: [{ delta: { content: 'is open.' } }] }),
    ].join('\r\n');

    expect(assemble([bytes(lines)])).toEqual({ text: 'Case 12 is open.', toolCalls: [], usage: undefined });
  });

  test('a streamed tool call without a name is a ModelError', () => {
    const failure = failureOf([bytes(chunk({ tool_calls: [{ index: 0, id: 'call_a', function: { arguments: '{}' } }] }))]);

    expect(failure.message).toContain('streamed tool call at index 0 has no id or no name');
  });

  test('an error chunk in the stream is a ModelError without its text', () => {
    const failure = failureOf([bytes(chunk({ content: 'Case 12' })), bytes('data: {"error":"CUDA out of memory near: Case 12","error_type":"generation"}\n\n')]);

    expect(failure.message).toContain('the model reported an error in the stream');
    expect(failure.message).not.toContain('Case 12');
  });

  test.each([
    ['a chunk that is not JSON', 'data: {"choices": [\n\n', 'a streamed chunk is not JSON'],
    ['a chunk of the wrong shape', 'data: {"choices": "Case 12"}\n\n', 'a streamed chunk is not a chat.completion.chunk (choices'],
    ['tool arguments that never close', chunk({ tool_calls: [{ index: 0, id: 'c', function: { name: 'lookup_case', arguments: '{"caseNumber":"12"' } }] }), 'the arguments of tool call 1 are not JSON'],
  ])('%s is a ModelError naming the problem, not the content', (_case, stream, problem) => {
    const failure = failureOf([bytes(stream)]);

    expect(failure.message.startsWith(`${OPERATION} returned an unusable reply: `)).toBe(true);
    expect(failure.message).toContain(problem);
    expect(failure.message).not.toContain('Case 12');
  });
});
