import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DynamoDbSessionRepository,
  MAX_PAYLOAD_THRESHOLD_BYTES,
} from '../../../../lambda/core/adapters/dynamodb-session-repository';
import { RequestRecordedError, SessionBusyError, SessionExistsError, SessionNotFoundError } from '../../../../lambda/core/domain/errors';
import { requestMarkerFor, type RequestMarker } from '../../../../lambda/core/domain/idempotency';
import { genesisHash, sealEvents, verifyChain } from '../../../../lambda/core/domain/hash-chain';
import type { EventDraft, SessionEvent } from '../../../../lambda/core/domain/session-event';
import { newSessionHeader, type SessionHeader, type TurnHeaderUpdate } from '../../../../lambda/core/domain/session-header';
import { eventSk, HEADER_SK, requestSk, sessionPayloadPrefix, sessionPk } from '../../../../lambda/core/domain/session-keys';
import type { EventPage } from '../../../../lambda/core/ports/session-repository';
import { startMotoSessions, type MotoSessions } from '../support/moto-sessions';

const tenant = 'agency-b';
const TIME = '2025-01-01T00:00:00.000Z';
let store: MotoSessions;
let sessionSerial = 0;

beforeAll(async () => {
  store = await startMotoSessions();
});

afterAll(async () => {
  await store?.stop();
});

async function newSession(): Promise<{ session: string; header: SessionHeader }> {
  const session = `s-${++sessionSerial}`;
  const header = newSessionHeader({ tenant, session, owner: 'alice', agent: 'assistant', maxTokens: 1_000_000, ttlSeconds: 3600, now: new Date(TIME) });
  await store.repository.create(tenant, session, header);
  return { session, header };
}

/** Chains drafts after the header and builds the header update a turn would make. */
function append(header: SessionHeader, drafts: Omit<EventDraft, 'seq' | 'time' | 'tokens' | 'actor'>[]) {
  const events = sealEvents(
    drafts.map((draft, i) => ({ seq: header.lastSeq + 1 + i, time: TIME, tokens: 1, actor: 'alice', ...draft })),
    header.lastHash,
  );
  const last = events[events.length - 1];
  const update: TurnHeaderUpdate = {
    lastSeq: last.seq,
    lastHash: last.hash,
    tokens: header.tokens,
    recentRequests: header.recentRequests,
    status: 'idle',
    expiresAt: header.expiresAt,
    updatedAt: TIME,
    pendingTool: undefined,
    activeTurn: undefined,
    clientCalls: undefined,
  };
  const next: SessionHeader = { ...header, ...update, version: header.version + 1 };
  return { events, update, next };
}

async function commit(session: string, header: SessionHeader, drafts: Parameters<typeof append>[1]) {
  const { events, update, next } = append(header, drafts);
  await store.repository.commitTurn(tenant, session, header.version, events, update);
  return { events, next };
}

async function rawItem(session: string, sk: string) {
  const { Item } = await store.dynamodb.send(
    new GetItemCommand({ TableName: store.tableName, Key: { pk: { S: sessionPk(tenant, session) }, sk: { S: sk } }, ConsistentRead: true }),
  );
  return Item;
}

describe('DynamoDbSessionRepository', () => {
  test('a created session loads back as it was written', async () => {
    const { session, header } = await newSession();
    await expect(store.repository.load(tenant, session, 5)).resolves.toEqual({ header, events: [] });
  });

  test('creating a session twice is SessionExists; loading an unknown one is SessionNotFound', async () => {
    const { session, header } = await newSession();
    await expect(store.repository.create(tenant, session, header)).rejects.toThrow(SessionExistsError);
    await expect(store.repository.load(tenant, 'no-such-session', 5)).rejects.toThrow(SessionNotFoundError);
  });

  test('load is one Query that returns the header and the newest k events, newest first', async () => {
    const { session, header } = await newSession();
    const { next } = await commit(session, header, [1, 2, 3, 4, 5].map((n) => ({ type: 'user' as const, content: `m${n}` })));

    store.calls.reset();
    const loaded = await store.repository.load(tenant, session, 3);

    expect(store.calls.counts).toEqual({ Query: 1 });
    expect(loaded.header).toEqual(next);
    expect(loaded.events.map((event) => event.seq)).toEqual([5, 4, 3]);
  });

  test('a stale version is SessionBusy with the current version, and nothing of the loser is written', async () => {
    const { session, header } = await newSession();
    await commit(session, header, [{ type: 'user', content: 'winner' }]);
    const itemsBefore = await store.countItems();
    const loser = append(header, [{ type: 'user', content: 'loser' }, { type: 'assistant', content: 'never seen' }]);

    const attempt = store.repository.commitTurn(tenant, session, header.version, loser.events, loser.update);

    await expect(attempt).rejects.toThrow(SessionBusyError);
    await expect(attempt).rejects.toMatchObject({ httpStatus: 409, seenVersion: 0, currentVersion: 1 });
    expect(await store.countItems()).toBe(itemsBefore);
    const { events } = await store.repository.load(tenant, session, 10);
    expect(events.map((event) => event.content)).toEqual(['winner']);
  });

  test('committing to a deleted session is SessionNotFound', async () => {
    const { session, header } = await newSession();
    await store.repository.delete(tenant, session);
    const { events, update } = append(header, [{ type: 'user', content: 'late' }]);
    await expect(store.repository.commitTurn(tenant, session, 0, events, update)).rejects.toThrow(SessionNotFoundError);
  });

  test('a turn leaves the summarizer’s summary alone', async () => {
    const { session, header } = await newSession();
    // The summarizer writes without touching version, so a turn in flight still commits.
    await store.dynamodb.send(
      new UpdateItemCommand({
        TableName: store.tableName,
        Key: { pk: { S: sessionPk(tenant, session) }, sk: { S: HEADER_SK } },
        UpdateExpression: 'SET summary = :s, summaryUpToSeq = :n',
        ExpressionAttributeValues: { ':s': { S: 'earlier work, folded' }, ':n': { N: '0' } },
      }),
    );
    await commit(session, header, [{ type: 'user', content: 'after the summary' }]);
    const { header: loaded } = await store.repository.load(tenant, session, 0);
    expect(loaded).toMatchObject({ version: 1, lastSeq: 1, summary: 'earlier work, folded' });
  });

  test('header and events carry the TTL attribute', async () => {
    const { session, header } = await newSession();
    await commit(session, header, [{ type: 'user', content: 'x' }]);
    expect((await rawItem(session, HEADER_SK))?.expiresAt).toEqual({ N: String(header.expiresAt) });
    expect((await rawItem(session, eventSk(1)))?.expiresAt).toEqual({ N: String(header.expiresAt) });
  });

  test("an event's agent, definition version and delegation depth round-trip, and a turn's commit may move the header's agent", async () => {
    const { session, header } = await newSession();
    const { events, update } = append(header, [
      { type: 'user', content: 'hello', agent: 'intake', agentVersion: 'intake-v1' },
      { type: 'user', content: 'a request', agent: 'research', agentVersion: 'research-v3', delegationDepth: 1 },
    ]);
    await store.repository.commitTurn(tenant, session, header.version, events, { ...update, agent: 'billing' });

    const loaded = await store.repository.load(tenant, session, 5, { resolvePayloads: true });
    expect([...loaded.events].reverse()).toEqual(events);
    expect(loaded.header.agent).toBe('billing');
    expect(verifyChain([...loaded.events].reverse(), genesisHash(tenant, session))).toMatchObject({ ok: true, lastSeq: 2 });
  });

  test('readEvents pages through the log in ascending order with a seq cursor', async () => {
    const { session, header } = await newSession();
    const { events } = await commit(session, header, Array.from({ length: 7 }, (_, i) => ({ type: 'user' as const, content: `m${i + 1}` })));

    const pages: number[][] = [];
    let afterSeq: number | undefined = 0;
    while (afterSeq !== undefined) {
      const page: EventPage = await store.repository.readEvents(tenant, session, { afterSeq, limit: 3 });
      pages.push(page.events.map((event) => event.seq));
      afterSeq = page.nextAfterSeq;
    }

    expect(pages.flat()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(pages[0]).toEqual([1, 2, 3]);
    const all = await store.repository.readEvents(tenant, session, { resolvePayloads: true });
    expect(all.events).toEqual(events);
  });

  test('a 5 MB tool result goes to S3 first and round-trips; the chain still verifies', async () => {
    const { session, header } = await newSession();
    const first = await commit(session, header, [
      { type: 'user', content: 'export the records' },
      { type: 'tool_call', content: '{"format":"csv"}', toolCallId: 'c1', toolName: 'export' },
    ]);
    const big = 'id,name,amount\n' + '0042,Line item,123.45\n'.repeat(Math.ceil((5 * 1024 * 1024) / 22));
    expect(Buffer.byteLength(big)).toBeGreaterThan(5 * 1000 * 1000);
    await commit(session, first.next, [{ type: 'tool_result', content: big, toolCallId: 'c1', toolName: 'export' }]);

    const item = await rawItem(session, eventSk(3));
    expect(item?.content).toBeUndefined();
    const s3Ref = item?.s3Ref?.S;
    expect(s3Ref?.startsWith(sessionPayloadPrefix(tenant, session))).toBe(true);
    expect(await store.payloads.get(s3Ref ?? '')).toBe(big);

    const unresolved = await store.repository.load(tenant, session, 1);
    expect(unresolved.events[0]).toMatchObject({ seq: 3, s3Ref });
    expect(unresolved.events[0].content).toBeUndefined();
    const resolved = await store.repository.load(tenant, session, 3, { resolvePayloads: true });
    expect(resolved.events[0].content).toBe(big);

    const log = await store.repository.readEvents(tenant, session, { resolvePayloads: true });
    expect(verifyChain(log.events, genesisHash(tenant, session))).toMatchObject({ ok: true, lastSeq: 3 });
  });

  test('the payload threshold is configurable, and small content stays inline', async () => {
    const repository = new DynamoDbSessionRepository({
      client: store.dynamodb,
      tableName: store.tableName,
      payloads: store.payloads,
      payloadThresholdBytes: 10,
    });
    const { session, header } = await newSession();
    const { events, update } = append(header, [
      { type: 'user', content: 'short' },
      { type: 'assistant', content: 'longer than ten bytes' },
    ]);
    await repository.commitTurn(tenant, session, 0, events, update);

    expect((await rawItem(session, eventSk(1)))?.content).toEqual({ S: 'short' });
    expect((await rawItem(session, eventSk(2)))?.s3Ref).toBeDefined();
    const loaded = await repository.load(tenant, session, 2, { resolvePayloads: true });
    expect(loaded.events.map((event: SessionEvent) => event.content)).toEqual(['longer than ten bytes', 'short']);
  });

  test('an out-of-range payload threshold is refused at construction, naming the prop', () => {
    expect(
      () =>
        new DynamoDbSessionRepository({
          client: store.dynamodb,
          tableName: store.tableName,
          payloads: store.payloads,
          payloadThresholdBytes: MAX_PAYLOAD_THRESHOLD_BYTES + 1,
        }),
    ).toThrow(/payloadThresholdBytes/);
  });

  test('delete removes the header, every event and every payload of the session', async () => {
    const { session, header } = await newSession();
    const first = await commit(session, header, [{ type: 'user', content: 'p'.repeat(70 * 1024) }]);
    await commit(session, first.next, [{ type: 'assistant', content: 'ok' }]);
    const other = await newSession();
    const itemsBefore = await store.countItems();

    await expect(store.repository.delete(tenant, session)).resolves.toBe(3);

    expect(await store.countItems()).toBe(itemsBefore - 3);
    await expect(store.repository.load(tenant, session, 5)).rejects.toThrow(SessionNotFoundError);
    await expect(store.payloads.deletePrefix(sessionPayloadPrefix(tenant, session))).resolves.toBe(0);
    await expect(store.repository.load(tenant, other.session, 5)).resolves.toMatchObject({ header: other.header });
    await expect(store.repository.delete(tenant, session)).rejects.toThrow(SessionNotFoundError);
  });

  describe('request markers', () => {
    /** A user and an assistant event, and the marker of that turn. */
    function turnWithMarker(header: SessionHeader, requestId: string, replyText: string) {
      const { events, update } = append(header, [
        { type: 'user', content: `question for ${requestId}` },
        { type: 'assistant', content: replyText },
      ]);
      const turn = { turnSeq: events[0].seq, result: { version: header.version + 1, lastSeq: events[1].seq, status: 'idle' as const, usage: { input: 1, output: 1 } } };
      return { events, update, marker: requestMarkerFor(requestId, turn, events) };
    }

    test('a second first-commit of a request is refused with the stored marker, whatever else changed; nothing of it is written', async () => {
      const { session, header } = await newSession();
      const first = turnWithMarker(header, 'r-1', 'the answer');
      await store.repository.commitTurn(tenant, session, 0, first.events, first.update, { kind: 'first', marker: first.marker });
      const itemsBefore = await store.countItems();

      // The same request again, from the version it read (a concurrent attempt) and from the current one (an old retry).
      for (const version of [0, 1]) {
        const again = turnWithMarker({ ...header, version, lastSeq: version * 2 }, 'r-1', 'another answer');
        const attempt = store.repository.commitTurn(tenant, session, version, again.events, again.update, { kind: 'first', marker: again.marker });
        await expect(attempt).rejects.toThrow(RequestRecordedError);
        await expect(attempt).rejects.toMatchObject({ marker: first.marker });
      }
      expect(await store.countItems()).toBe(itemsBefore);
      await expect(store.repository.readRequestMarker(tenant, session, 'r-1')).resolves.toEqual(first.marker);
      await expect(store.repository.readRequestMarker(tenant, session, 'r-2')).resolves.toBeUndefined();
    });

    test('a large answer goes to the payload store under a content-addressed key and comes back on both paths', async () => {
      const repository = new DynamoDbSessionRepository({ client: store.dynamodb, tableName: store.tableName, payloads: store.payloads, payloadThresholdBytes: 64 });
      const { session, header } = await newSession();
      const long = 'a long answer '.repeat(20);
      const first = turnWithMarker(header, 'r-big', long);
      await repository.commitTurn(tenant, session, 0, first.events, first.update, { kind: 'first', marker: first.marker });

      const item = await rawItem(session, requestSk('r-big'));
      expect(item?.answer).toBeUndefined();
      expect(item?.answerRef?.S).toMatch(new RegExp(`^${sessionPayloadPrefix(tenant, session)}request-r-big-[0-9a-f]{64}$`));
      await expect(repository.readRequestMarker(tenant, session, 'r-big')).resolves.toEqual(first.marker);
      const again = turnWithMarker({ ...header, ...first.update, version: 1 }, 'r-big', 'short');
      await expect(repository.commitTurn(tenant, session, 1, again.events, again.update, { kind: 'first', marker: again.marker })).rejects.toMatchObject({
        marker: { reply: long },
      });
    });

    test('a resumed commit writes the whole marker, also where the turn has none (a session that waited on a tool before markers existed)', async () => {
      const { session, header } = await newSession();
      const first = turnWithMarker(header, 'r-1', 'waiting');
      await store.repository.commitTurn(tenant, session, 0, first.events, first.update, { kind: 'first', marker: first.marker });
      const after: SessionHeader = { ...header, ...first.update, version: 1 };
      const { events, update } = append(after, [{ type: 'assistant', content: 'finished' }]);
      const resumed: RequestMarker = { ...first.marker, turn: { turnSeq: 1, result: { ...first.marker.turn.result, version: 2, lastSeq: 3 } }, reply: 'finished' };

      await store.repository.commitTurn(tenant, session, 1, events, update, { kind: 'resumed', marker: resumed });
      await expect(store.repository.readRequestMarker(tenant, session, 'r-1')).resolves.toEqual(resumed);

      // A request recorded only in the header (no marker yet) gets its marker with the resume.
      const next: SessionHeader = { ...after, ...update, version: 2 };
      const orphan = append(next, [{ type: 'assistant', content: 'no marker before' }]);
      const upgraded: RequestMarker = { ...resumed, requestId: 'r-before-markers', reply: 'no marker before' };
      await expect(store.repository.readRequestMarker(tenant, session, 'r-before-markers')).resolves.toBeUndefined();
      await store.repository.commitTurn(tenant, session, 2, orphan.events, orphan.update, { kind: 'resumed', marker: upgraded });
      await expect(store.repository.readRequestMarker(tenant, session, 'r-before-markers')).resolves.toEqual(upgraded);

      // Still ordered by the header: a resume at a stale version writes nothing, marker included.
      const stale = append(next, [{ type: 'assistant', content: 'stale' }]);
      await expect(
        store.repository.commitTurn(tenant, session, 2, stale.events, stale.update, { kind: 'resumed', marker: { ...upgraded, reply: 'stale' } }),
      ).rejects.toThrow(SessionBusyError);
      await expect(store.repository.readRequestMarker(tenant, session, 'r-before-markers')).resolves.toEqual(upgraded);
    });
  });
});
