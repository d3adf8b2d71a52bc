import { ValidationError } from '../../../../lambda/core/domain/errors';
import { messageDigest, recordRequest, replayFromMarker, requestMarkerFor } from '../../../../lambda/core/domain/idempotency';
import { sealEvents } from '../../../../lambda/core/domain/hash-chain';
import { RECENT_REQUESTS_KEPT, type RecordedTurn } from '../../../../lambda/core/domain/session-header';
import { toolCallDraft } from '../../../../lambda/core/domain/tool-call-event';
import { turnResultFromEvents } from '../../../../lambda/core/domain/turn-result';

function turn(turnSeq: number): RecordedTurn {
  return { turnSeq, result: { version: turnSeq, lastSeq: turnSeq + 1, status: 'idle', usage: { input: 1, output: 1 } } };
}

describe('recordRequest', () => {
  test(`keeps the newest ${RECENT_REQUESTS_KEPT} requests by turn`, () => {
    let recent: Record<string, RecordedTurn> = {};
    for (let i = 1; i <= 30; i++) recent = recordRequest(recent, `r-${i}`, turn(i * 2 - 1));

    const kept = Object.keys(recent).sort((a, b) => Number(a.slice(2)) - Number(b.slice(2)));
    expect(kept).toHaveLength(RECENT_REQUESTS_KEPT);
    expect(kept[0]).toBe('r-11');
    expect(kept[kept.length - 1]).toBe('r-30');
  });

  test('does not change the map it was given', () => {
    const recent = { 'r-1': turn(1) };
    recordRequest(recent, 'r-2', turn(3));
    expect(recent).toEqual({ 'r-1': turn(1) });
  });
});

/** A turn of five events: it asked, called a tool, got the result and answered. */
const time = '2025-01-01T00:00:00.000Z';
const wholeTurn = sealEvents(
  [
    { seq: 5, type: 'user', content: 'look it up', tokens: 3, actor: 'alice', time },
    { seq: 6, type: 'assistant', content: 'looking', tokens: 2, actor: 'model', time },
    toolCallDraft({ id: 'c1', name: 'lookup', input: { q: 'x' } }, 7, 'model', time),
    { seq: 8, type: 'tool_result', content: '{"ok":true,"output":1}', tokens: 2, actor: 'tool:lookup', time, toolCallId: 'c1', toolName: 'lookup' },
    { seq: 9, type: 'assistant', content: 'found it', tokens: 2, actor: 'model', time },
  ],
  '0'.repeat(64),
);

describe('turnResultFromEvents', () => {
  // The turn as it stood while its tool call was pending.
  const events = wholeTurn.slice(0, 3);
  const recorded: RecordedTurn = {
    turnSeq: 5,
    result: { version: 3, lastSeq: 7, status: 'awaiting_tool', usage: { input: 9, output: 2 } },
  };

  test('rebuilds the reply and tool calls from the turn events, in any order', () => {
    expect(turnResultFromEvents('r-9', recorded, [...events].reverse(), true)).toEqual({
      requestId: 'r-9',
      version: 3,
      turnSeq: 5,
      lastSeq: 7,
      reply: 'looking',
      toolCalls: [{ id: 'c1', name: 'lookup', input: { q: 'x' } }],
      status: 'awaiting_tool',
      usage: { input: 9, output: 2 },
      replayed: true,
    });
  });

  test('a missing event of the turn is an error, never a partial result', () => {
    expect(() => turnResultFromEvents('r-9', recorded, events.slice(0, 2), true)).toThrow(/lacks event 7/);
  });
});

describe('request markers', () => {
  const events = wholeTurn;
  const recorded: RecordedTurn = { turnSeq: 5, result: { version: 3, lastSeq: 9, status: 'idle', usage: { input: 9, output: 4 } } };

  test('a marker answers a retry with exactly the result its turn returned, with no event at hand', () => {
    const marker = requestMarkerFor('r-9', recorded, [...events].reverse());

    expect(marker).toEqual({
      requestId: 'r-9',
      messageDigest: messageDigest('look it up'),
      turn: recorded,
      reply: 'found it',
      toolCalls: [{ id: 'c1', name: 'lookup', input: { q: 'x' } }],
    });
    expect(replayFromMarker(marker, 'look it up')).toEqual(turnResultFromEvents('r-9', recorded, events, true));
  });

  test('a retry with another message under the same request id is refused', () => {
    const marker = requestMarkerFor('r-9', recorded, events);
    expect(() => replayFromMarker(marker, 'look something else up')).toThrow(ValidationError);
  });

  test('a turn whose first event is not the user event has no marker: the log is damaged', () => {
    expect(() => requestMarkerFor('r-9', { ...recorded, turnSeq: 6 }, events)).toThrow(/does not start with a user event/);
  });
});
