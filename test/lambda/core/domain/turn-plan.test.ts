import { ModelError, PayloadTooLargeError, ValidationError } from '../../../../lambda/core/domain/errors';
import { genesisHash, verifyChain } from '../../../../lambda/core/domain/hash-chain';
import { newSessionHeader, type SessionHeader } from '../../../../lambda/core/domain/session-header';
import { DEFAULT_SESSION_LIMITS } from '../../../../lib/contract/session-limits';
import { MODEL_ACTOR, planTurn, replyDrafts, userEventFor } from '../../../../lambda/core/domain/turn-plan';
import { validateTurnRequest, type TurnRequest } from '../../../../lambda/core/domain/turn-request';
import type { ModelReply } from '../../../../lambda/core/ports/model-backend';

const NOW = new Date('2025-01-01T00:00:00.000Z');
const header: SessionHeader = newSessionHeader({
  tenant: 'agency-a',
  session: 's1',
  owner: 'alice',
  agent: 'assistant',
  maxTokens: 10_000,
  ttlSeconds: 3600,
  now: NOW,
});
const request: TurnRequest = { tenant: 'agency-a', session: 's1', requestId: 'r-1', actor: 'alice', message: 'hello' };

function plan(reply: ModelReply, from: SessionHeader = header) {
  const user = userEventFor(from, request, NOW.toISOString());
  return planTurn(from, request, user, reply, NOW, DEFAULT_SESSION_LIMITS);
}

describe('planTurn', () => {
  test('a plain reply writes a chained user and assistant event and records the request', () => {
    const { events, headerUpdate, result } = plan({ text: 'hi', toolCalls: [], usage: { input: 12, output: 3 } });

    expect(events.map((event) => [event.seq, event.type, event.actor, event.content])).toEqual([
      [1, 'user', 'alice', 'hello'],
      [2, 'assistant', MODEL_ACTOR, 'hi'],
    ]);
    expect(verifyChain(events, genesisHash('agency-a', 's1'))).toMatchObject({ ok: true, lastSeq: 2 });
    expect(headerUpdate).toMatchObject({ lastSeq: 2, lastHash: events[1].hash, status: 'idle', tokens: { input: 12, output: 3 } });
    expect(headerUpdate.recentRequests).toEqual({
      'r-1': { turnSeq: 1, result: { version: 1, lastSeq: 2, status: 'idle', usage: { input: 12, output: 3 } } },
    });
    expect(result).toEqual({
      requestId: 'r-1',
      version: 1,
      turnSeq: 1,
      lastSeq: 2,
      reply: 'hi',
      toolCalls: [],
      status: 'idle',
      usage: { input: 12, output: 3 },
      replayed: false,
    });
  });

  test('a reply with tool calls is not planned here: runTurn runs its tools first', () => {
    const call = { id: 'call-1', name: 'lookup', input: { q: 'budget', n: 2 } };
    expect(() => plan({ text: '', toolCalls: [call], usage: { input: 1, output: 1 } })).toThrow(/runTurn runs the tools/);
  });

  test('a later turn chains after the header and adds to its token totals', () => {
    const first = plan({ text: 'hi', toolCalls: [], usage: { input: 12, output: 3 } });
    const after: SessionHeader = { ...header, ...first.headerUpdate, version: 1 };
    const second = plan({ text: 'again', toolCalls: [], usage: { input: 20, output: 4 } }, after);

    expect(second.events[0]).toMatchObject({ seq: 3, prevHash: first.events[1].hash });
    expect(second.headerUpdate.tokens).toEqual({ input: 32, output: 7 });
    expect(second.result.version).toBe(2);
  });

  test.each<[string, ModelReply]>([
    ['negative usage', { text: 'x', toolCalls: [], usage: { input: -1, output: 0 } }],
    ['fractional usage', { text: 'x', toolCalls: [], usage: { input: 1.5, output: 0 } }],
    [
      'duplicate tool call ids',
      {
        text: '',
        toolCalls: [
          { id: 'a', name: 't', input: {} },
          { id: 'a', name: 't', input: {} },
        ],
        usage: { input: 1, output: 1 },
      },
    ],
    [
      'more tool calls than one transaction can hold',
      {
        text: '',
        toolCalls: Array.from({ length: DEFAULT_SESSION_LIMITS.maxToolCallsPerTurn + 1 }, (_, i) => ({ id: `c${i}`, name: 't', input: {} })),
        usage: { input: 1, output: 1 },
      },
    ],
  ])('a reply with %s is a ModelError (502)', (_case, reply) => {
    expect(() => plan(reply)).toThrow(ModelError);
  });
});

describe('replyDrafts', () => {
  test('tool calls become events after the reply, their input stored as canonical JSON', () => {
    const call = { id: 'call-1', name: 'lookup', input: { q: 'budget', n: 2 } };
    const drafts = replyDrafts({ text: 'Looking.', toolCalls: [call], usage: { input: 1, output: 4 } }, 7, NOW.toISOString());
    expect(drafts.map((draft) => [draft.seq, draft.type, draft.actor])).toEqual([
      [7, 'assistant', MODEL_ACTOR],
      [8, 'tool_call', MODEL_ACTOR],
    ]);
    expect(drafts[0].tokens).toBe(4);
    expect(drafts[1]).toMatchObject({ toolCallId: 'call-1', toolName: 'lookup', content: '{"n":2,"q":"budget"}' });
  });
});

describe('validateTurnRequest', () => {
  test('a well-formed request passes', () => {
    expect(() => validateTurnRequest(request, DEFAULT_SESSION_LIMITS)).not.toThrow();
  });

  test.each<[string, Partial<TurnRequest>]>([
    ['an empty message', { message: '   ' }],
    ['a request id with a separator', { requestId: 'a#b' }],
    ['a request id that could shadow an object property', { requestId: '__proto__' }],
    ['a bad session id', { session: 'a/b' }],
    ['no actor', { actor: '' }],
  ])('%s is a ValidationError', (_case, change) => {
    expect(() => validateTurnRequest({ ...request, ...change }, DEFAULT_SESSION_LIMITS)).toThrow(ValidationError);
  });

  test('a message over the byte limit is PayloadTooLarge (413), counted in UTF-8 bytes', () => {
    const message = 'é'.repeat(600); // 1200 bytes
    expect(() => validateTurnRequest({ ...request, message }, { maxMessageBytes: 1000 })).toThrow(PayloadTooLargeError);
    expect(() => validateTurnRequest({ ...request, message }, { maxMessageBytes: 1200 })).not.toThrow();
  });
});
