import { buildContext, SUMMARY_PREAMBLE } from '../../../../lambda/core/domain/context-builder';
import { sealEvents } from '../../../../lambda/core/domain/hash-chain';
import type { EventDraft, SessionEvent } from '../../../../lambda/core/domain/session-event';
import { estimateTokens } from '../../../../lambda/core/domain/token-estimate';
import type { ChatMessage } from '../../../../lambda/core/ports/model-backend';

const TIME = '2025-01-01T00:00:00.000Z';

/** Drafts as [type, content] pairs, seqs from 1; returned newest first, as the session query returns them. */
function newestFirst(...events: [EventDraft['type'], string, Partial<EventDraft>?][]): SessionEvent[] {
  const drafts: EventDraft[] = events.map(([type, content, extra], i) => ({
    seq: i + 1,
    type,
    content,
    tokens: estimateTokens(content),
    actor: type === 'user' ? 'alice' : 'model',
    time: TIME,
    ...extra,
  }));
  return sealEvents(drafts, '0'.repeat(64)).reverse();
}

function messageTokens(messages: readonly ChatMessage[]): number {
  return messages.reduce((sum, message) => {
    const calls = message.role === 'assistant' ? (message.toolCalls ?? []) : [];
    return sum + estimateTokens(message.content) + calls.reduce((s, c) => s + estimateTokens(c.id + c.name + JSON.stringify(c.input)), 0);
  }, 0);
}

const forty = 'x'.repeat(40); // 10 tokens

describe('buildContext', () => {
  test('messages come oldest first, with the summary before them', () => {
    const context = buildContext({
      instructions: '',
      summary: 'they talked about budgets',
      summaryUpToSeq: 0,
      eventsNewestFirst: newestFirst(['user', 'hello'], ['assistant', 'hi'], ['user', 'how are you']),
      maxTokens: 1000,
    });
    expect(context.messages).toEqual([
      { role: 'system', content: `${SUMMARY_PREAMBLE}they talked about budgets` },
      { role: 'user', content: 'hello' },
      { role: 'assistant', content: 'hi' },
      { role: 'user', content: 'how are you' },
    ]);
    expect(context.estimatedTokens).toBe(messageTokens(context.messages));
  });

  test('the newest events that fit are kept, without gaps, within the budget', () => {
    const events = newestFirst(['user', forty], ['assistant', forty], ['user', forty], ['assistant', forty], ['user', forty]);
    const context = buildContext({ instructions: '', summary: '', summaryUpToSeq: 0, eventsNewestFirst: events, maxTokens: 35 });
    expect(context.messages).toHaveLength(3);
    expect(context.estimatedTokens).toBe(30);
    expect(context.estimatedTokens).toBeLessThanOrEqual(35);
    expect(context.messages.map((message) => message.role)).toEqual(['user', 'assistant', 'user']);
  });

  test('the summary and the newest user message are kept even when they alone exceed the budget', () => {
    const events = newestFirst(['user', 'old question'], ['assistant', forty], ['user', 'y'.repeat(400)]);
    const context = buildContext({ instructions: '', summary: 's'.repeat(400), summaryUpToSeq: 0, eventsNewestFirst: events, maxTokens: 10 });
    expect(context.messages.map((message) => message.role)).toEqual(['system', 'user']);
    expect(context.messages[1].content).toBe('y'.repeat(400));
    expect(context.estimatedTokens).toBe(messageTokens(context.messages));
    expect(context.estimatedTokens).toBeGreaterThan(10);
  });

  test('events the summary already covers are left out', () => {
    const events = newestFirst(['user', 'first'], ['assistant', 'second'], ['user', 'third']);
    const context = buildContext({ instructions: '', summary: 'first two', summaryUpToSeq: 2, eventsNewestFirst: events, maxTokens: 1000 });
    expect(context.messages.map((message) => message.content)).toEqual([`${SUMMARY_PREAMBLE}first two`, 'third']);
  });

  test('tool calls join the assistant message, and their results follow as tool messages', () => {
    const events = newestFirst(
      ['user', 'weather?'],
      ['assistant', 'checking'],
      ['tool_call', '{"city":"Boise"}', { toolCallId: 'c1', toolName: 'weather' }],
      ['tool_call', '{"city":"Reno"}', { toolCallId: 'c2', toolName: 'weather' }],
      ['tool_result', 'sunny', { toolCallId: 'c1', toolName: 'weather' }],
      ['tool_result', 'rain', { toolCallId: 'c2', toolName: 'weather' }],
      ['approval', 'approved by bob'],
    );
    const context = buildContext({ instructions: '', summary: '', summaryUpToSeq: 0, eventsNewestFirst: events, maxTokens: 1000 });
    expect(context.messages).toEqual([
      { role: 'user', content: 'weather?' },
      {
        role: 'assistant',
        content: 'checking',
        toolCalls: [
          { id: 'c1', name: 'weather', input: { city: 'Boise' } },
          { id: 'c2', name: 'weather', input: { city: 'Reno' } },
        ],
      },
      { role: 'tool', content: 'sunny', toolCallId: 'c1' },
      { role: 'tool', content: 'rain', toolCallId: 'c2' },
    ]);
    expect(context.estimatedTokens).toBe(messageTokens(context.messages));
  });

  test('a tool result whose call did not fit is dropped, so the model never sees an unanswered result', () => {
    const events = newestFirst(
      ['user', 'weather?'],
      ['assistant', ''],
      ['tool_call', JSON.stringify({ city: 'z'.repeat(400) }), { toolCallId: 'c1', toolName: 'weather' }],
      ['tool_result', 'sunny', { toolCallId: 'c1', toolName: 'weather' }],
      ['assistant', 'it is sunny'],
      ['user', 'thanks'],
    );
    const context = buildContext({ instructions: '', summary: '', summaryUpToSeq: 0, eventsNewestFirst: events, maxTokens: 20 });
    expect(context.messages).toEqual([
      { role: 'assistant', content: 'it is sunny' },
      { role: 'user', content: 'thanks' },
    ]);
    expect(context.estimatedTokens).toBe(messageTokens(context.messages));
  });

  test('no events and no summary is an empty context', () => {
    expect(buildContext({ instructions: '', summary: '', summaryUpToSeq: 0, eventsNewestFirst: [], maxTokens: 10 })).toEqual({
      messages: [],
      estimatedTokens: 0,
    });
  });

  test("the agent's instructions are the first message, a system message before the summary, and count toward the estimate", () => {
    const context = buildContext({
      instructions: 'You answer records requests.',
      summary: 'they talked about budgets',
      summaryUpToSeq: 0,
      eventsNewestFirst: newestFirst(['user', 'hello']),
      maxTokens: 1000,
    });
    expect(context.messages).toEqual([
      { role: 'system', content: 'You answer records requests.' },
      { role: 'system', content: `${SUMMARY_PREAMBLE}they talked about budgets` },
      { role: 'user', content: 'hello' },
    ]);
    expect(context.estimatedTokens).toBe(messageTokens(context.messages));
  });
});
