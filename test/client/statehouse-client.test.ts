import type { TurnView as DomainTurnView } from '../../lambda/core/domain/background-turn';
import type { TurnResult as DomainTurnResult } from '../../lambda/core/domain/turn-result';
import type { ModelBackend } from '../../lambda/core/ports/model-backend';
import type { approvalListingView, EventView as DomainEventView, sessionListingView, SessionView as DomainSessionView } from '../../lambda/orchestrator/session-view';
import type { SessionVerification as DomainVerification } from '../../lambda/orchestrator/verify-session';
import { StatehouseApiError } from '../../lib/client/api-error';
import type {
  ApprovalListEntry,
  EventView,
  SessionListEntry,
  SessionVerification,
  SessionView,
  TurnResult,
  TurnStreamEvent,
  TurnView,
} from '../../lib/client/session-api-types';
import { invokeUrlOf } from '../../lib/client/invoke-url';
import { StatehouseClient } from '../../lib/client/statehouse-client';
import { exportTranscript, transcriptMarkdown, verifyLocally } from '../../lib/client/transcript';
import { reply, ScriptedModel } from '../lambda/core/support/scripted-model';
import { ROLE_A } from '../lambda/orchestrator/support/api-events';
import { credentialsOf, REGION, startSessionGateway, type SessionGateway } from '../emulator/support/session-gateway';

/**
 * The client against the orchestrator's real handlers behind the local
 * gateway (SigV4 verified, credentials from moto's STS, sessions on moto):
 * only the model is scripted.
 */

/**
 * The client's wire types take what the orchestrator declares (tsc checks
 * test/): a field the orchestrator renames or retypes breaks the build here.
 */
type Fits<Wire, Declared extends Wire> = [Wire, Declared];
export type WireTypesFitTheOrchestrator = [
  Fits<SessionView, DomainSessionView>,
  Fits<EventView, DomainEventView>,
  Fits<TurnResult, DomainTurnResult>,
  Fits<TurnView, DomainTurnView>,
  Fits<SessionVerification, DomainVerification>,
  Fits<SessionListEntry, ReturnType<typeof sessionListingView>>,
  Fits<ApprovalListEntry, ReturnType<typeof approvalListingView>>,
];

let env: SessionGateway;
/** Statuses the gateway answered, per request id sent in a turn body, as the client's fetch saw them. */
const statuses = new Map<string, number[]>();

/** Alice's client; its fetch notes each turn's status so a test can see the client's own retries. */
function aliceClient(): StatehouseClient {
  const noting: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const body = typeof init?.body === 'string' || init?.body instanceof Uint8Array ? Buffer.from(init.body as Uint8Array | string).toString() : '';
    const requestId = /"requestId":"([^"]+)"/.exec(body)?.[1];
    if (requestId) statuses.set(requestId, [...(statuses.get(requestId) ?? []), response.status]);
    return response;
  };
  return new StatehouseClient({
    url: env.gateway.invokeUrl,
    region: REGION,
    credentials: credentialsOf(env.alice),
    fetch: noting,
    retry: { attempts: 4, baseDelayMs: 20, maxDelayMs: 100 },
  });
}

beforeAll(async () => {
  env = await startSessionGateway();
});

afterAll(async () => {
  await env?.stop();
});

beforeEach(() => env.useModel(ScriptedModel.echoing()));

test('create, turns, read page by page, read a turn, verify, export, delete: typed answers and typed errors', async () => {
  const client = aliceClient();

  const session = await client.createSession({ sessionId: 'client-1' });
  const first = await client.sendTurn('client-1', { message: 'Hello' });
  const second = await client.sendTurn('client-1', { requestId: 'r-2', message: 'Again' });

  expect(session).toMatchObject({ sessionId: 'client-1', status: 'idle', version: 0, owner: `${ROLE_A}#alice` });
  // No requestId given: the client made one.
  expect(first).toMatchObject({ reply: 'echo: Hello', status: 'idle', version: 1, replayed: false });
  expect(first.requestId).toMatch(/^[0-9a-f-]{36}$/);
  expect(second).toMatchObject({ requestId: 'r-2', reply: 'echo: Again', lastSeq: 4 });

  const page = await client.readSession('client-1', { afterSeq: 0, limit: 3 });
  expect(page.events.map((event) => event.seq)).toEqual([1, 2, 3]);
  expect(page.nextAfterSeq).toBe(3);
  const all = await client.readAllEvents('client-1');
  expect(all.events.map((event) => [event.type, event.content])).toEqual([
    ['user', 'Hello'],
    ['assistant', 'echo: Hello'],
    ['user', 'Again'],
    ['assistant', 'echo: Again'],
  ]);
  await expect(client.readTurn('client-1', 'r-2')).resolves.toMatchObject({ requestId: 'r-2', mode: 'sync', status: 'completed', reply: 'echo: Again' });
  await expect(client.verify('client-1')).resolves.toEqual({ valid: true, events: 4 });

  const transcript = await exportTranscript(client, 'client-1', { tenant: 'agency-a', now: new Date('2026-12-04T12:00:00Z') });
  expect(transcript.events).toEqual(all.events);
  expect(transcript.verification).toMatchObject({ verdict: 'verified', local: { status: 'verified', events: 4, anchor: 'genesis' }, server: { valid: true, events: 4 } });
  const markdown = transcriptMarkdown(transcript);
  expect(markdown).toContain('# Session client-1');
  expect(markdown).toContain("**Verified.** Verified: the hash chain of all 4 events was recomputed here from the session's genesis, and the deployment's verify route");
  expect(markdown).toContain("| hash chain, recomputed here | verified, 4 events, from the session's genesis |");
  expect(markdown).toContain('## 4 · assistant');
  expect(markdown).toContain(`· hash \`${all.events[3].hash}\``);

  // Errors carry the orchestrator's status, code, message and details.
  const tooLong = await client.sendTurn('client-1', { message: 'x'.repeat(40 * 1024) }).catch((error: unknown) => error);
  expect(tooLong).toBeInstanceOf(StatehouseApiError);
  expect(tooLong).toMatchObject({ status: 413, code: 'PayloadTooLarge', details: { field: 'message', sizeBytes: 40 * 1024 } });
  await expect(client.createSession({ sessionId: 'client-1' })).rejects.toMatchObject({ status: 409, code: 'SessionExists' });
  // This harness runs no agent loop: cancelling is refused as the contract says, having written nothing.
  await expect(client.cancelTurn('client-1', 'r-2', 'too late')).rejects.toMatchObject({ status: 400, code: 'ValidationError', message: expect.stringContaining('background turns are off') });
  await expect(client.delete('client-1')).resolves.toMatchObject({ sessionId: 'client-1', deletedItems: expect.any(Number) });
  await expect(client.readSession('client-1')).rejects.toMatchObject({ name: 'StatehouseApiError', status: 404, code: 'SessionNotFound' });
});

test('a turn that loses to another writer (409 SessionBusy) is retried with the same requestId; a later resend is the same turn, replayed', async () => {
  const client = aliceClient();
  const other = aliceClient();
  await client.createSession({ sessionId: 'client-busy' });
  const echo = ScriptedModel.echoing();
  let cutIn = false;
  // While the model answers r-busy, another turn of the same owner commits first: r-busy's commit then finds the version moved.
  const interrupting: ModelBackend = {
    async chat(messages, tools, options) {
      if (!cutIn) {
        cutIn = true;
        await other.sendTurn('client-busy', { requestId: 'r-cut-in', message: 'Cutting in' });
      }
      return echo.chat(messages, tools, options);
    },
  };
  env.useModel(interrupting);

  const result = await client.sendTurn('client-busy', { requestId: 'r-busy', message: 'Hello' });
  const resent = await client.sendTurn('client-busy', { requestId: 'r-busy', message: 'Hello' });

  expect(statuses.get('r-busy')).toEqual([409, 200, 200]);
  const bodies = env.events.filter((event) => event.body?.includes('"r-busy"')).map((event) => JSON.parse(event.body!).requestId);
  expect(bodies).toEqual(['r-busy', 'r-busy', 'r-busy']);
  expect(result).toMatchObject({ requestId: 'r-busy', reply: 'echo: Hello', replayed: false, version: 2 });
  expect(resent).toEqual({ ...result, replayed: true });
  const { events } = await client.readAllEvents('client-busy');
  expect(events.filter((event) => event.type === 'user').map((event) => event.content)).toEqual(['Cutting in', 'Hello']);
});

test('a streamed turn through the gateway: the iterator yields each piece as it is written, then the result; what it yields is what was committed', async () => {
  const client = aliceClient();
  await client.createSession({ sessionId: 'client-stream' });
  let pieceRead!: () => void;
  const firstPieceRead = new Promise<void>((resolve) => (pieceRead = resolve));
  // The model sends its second piece only once the client has read the first: a gateway that buffered would never finish.
  env.useModel({
    async chat(_messages, _tools, options) {
      options?.onText?.('Records are ');
      await firstPieceRead;
      options?.onText?.('kept for seven years.');
      return reply('Records are kept for seven years.');
    },
  });

  const stream = await client.sendTurn('client-stream', { requestId: 'r-stream', message: 'How long are records kept?', stream: true });
  const read: TurnStreamEvent[] = [];
  for await (const event of stream) {
    read.push(event);
    if (event.type === 'text') pieceRead();
  }

  expect(stream.requestId).toBe('r-stream');
  expect(read.map((event) => event.type)).toEqual(['text', 'text', 'result']);
  const text = read.flatMap((event) => (event.type === 'text' ? [event.text] : [])).join('');
  const result = (read[2] as { result: TurnResult }).result;
  expect(text).toBe('Records are kept for seven years.');
  expect(result).toMatchObject({ requestId: 'r-stream', reply: text, status: 'idle', replayed: false });
  const { session, events } = await client.readAllEvents('client-stream');
  expect(events.at(-1)).toMatchObject({ seq: result.lastSeq, type: 'assistant', content: text });
  expect(session.lastSeq).toBe(result.lastSeq);
  // A resend is answered from the log as JSON: the iterator yields that one result.
  const again: TurnStreamEvent[] = [];
  for await (const event of await client.sendTurn('client-stream', { requestId: 'r-stream', message: 'How long are records kept?', stream: true })) again.push(event);
  expect(again).toEqual([{ type: 'result', result: { ...result, replayed: true } }]);
});

test('the events as the API shows them carry their chain: recomputed here they verify, and any change to what was read is caught at its seq', async () => {
  const client = aliceClient();
  await client.createSession({ sessionId: 'client-chain' });
  await client.sendTurn('client-chain', { requestId: 'c-1', message: 'First' });
  await client.sendTurn('client-chain', { requestId: 'c-2', message: 'Second' });

  const { events } = await client.readAllEvents('client-chain');

  // What the store holds, field for field: the API shows each event's prevHash and hash as written.
  const stored = (await env.harness.store.repository.readEvents('agency-a', 'client-chain', { afterSeq: 0, limit: 100, resolvePayloads: true })).events;
  expect(events.map(({ seq, prevHash, hash }) => ({ seq, prevHash, hash }))).toEqual(stored.map(({ seq, prevHash, hash }) => ({ seq, prevHash, hash })));
  expect(verifyLocally('client-chain', 4, events, 'agency-a')).toEqual({ status: 'verified', events: 4, anchor: 'genesis' });
  expect(verifyLocally('client-chain', 4, events)).toEqual({ status: 'verified', events: 4, anchor: 'first-event' });
  expect(verifyLocally('client-chain', 4, events, 'agency-b')).toMatchObject({ status: 'broken', brokenAtSeq: 1, reason: 'prev_hash_mismatch' });
  const altered = events.map((event) => (event.seq === 3 ? { ...event, content: 'Second, edited' } : event));
  expect(verifyLocally('client-chain', 4, altered, 'agency-a')).toMatchObject({ status: 'broken', brokenAtSeq: 3, reason: 'hash_mismatch' });
  const reattributed = events.map((event) => (event.seq === 2 ? { ...event, actor: 'someone else' } : event));
  expect(verifyLocally('client-chain', 4, reattributed, 'agency-a')).toMatchObject({ status: 'broken', brokenAtSeq: 2, reason: 'hash_mismatch' });
  expect(verifyLocally('client-chain', 4, events.filter((event) => event.seq !== 2), 'agency-a')).toMatchObject({ status: 'broken', brokenAtSeq: 2, reason: 'seq_gap' });
  expect(verifyLocally('client-chain', 4, events.slice(0, 3), 'agency-a')).toMatchObject({ status: 'broken', brokenAtSeq: 4, reason: 'incomplete' });
  // A deployment that shows no hashes: the sequence is checked here, the content only by its verify route.
  expect(verifyLocally('client-chain', 4, events.map(({ prevHash: _p, hash: _h, ...rest }) => rest))).toEqual({ status: 'unhashed', events: 4 });
});

/** A client whose session reads pass through `rewrite` on their way (a proxy, a cache, an older deployment). */
function clientRewritingReads(sessionId: string, rewrite: (events: Record<string, unknown>[]) => void): StatehouseClient {
  const rewriting: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    if (!new URL(String(input)).pathname.endsWith(`/sessions/${sessionId}`)) return response;
    const body = (await response.json()) as { events: Record<string, unknown>[] };
    rewrite(body.events);
    return new Response(JSON.stringify(body), { status: response.status, headers: { 'content-type': 'application/json' } });
  };
  return new StatehouseClient({ url: env.gateway.invokeUrl, region: REGION, credentials: credentialsOf(env.alice), fetch: rewriting });
}

test('an answer altered on its way (the stored chain intact): the verify route says valid, the export fails at the altered seq', async () => {
  await aliceClient().createSession({ sessionId: 'client-in-transit' });
  await aliceClient().sendTurn('client-in-transit', { requestId: 't-1', message: 'Is FOIA-9 open?' });
  const client = clientRewritingReads('client-in-transit', (events) => {
    for (const event of events) if (event.seq === 2) event.content = 'echo: It is closed.';
  });

  const transcript = await exportTranscript(client, 'client-in-transit', { tenant: 'agency-a' });

  expect(transcript.verification).toMatchObject({ verdict: 'failed', local: { status: 'broken', brokenAtSeq: 2, reason: 'hash_mismatch' }, server: { valid: true, events: 2 } });
  expect(transcript.verification.statement).toMatch(/^NOT VERIFIED: the events as read break at event 2 \(hash_mismatch\); the deployment's verify route recomputed the stored chain over 2 events and found it valid\.$/);
  expect(transcriptMarkdown(transcript)).toContain('| hash chain, recomputed here | BROKEN at event 2 (hash_mismatch) |');
});

test('a deployment that shows no event hashes: verified by its verify route only, and the transcript says what was not recomputed', async () => {
  await aliceClient().createSession({ sessionId: 'client-unhashed' });
  await aliceClient().sendTurn('client-unhashed', { requestId: 'u-1', message: 'Is FOIA-10 open?' });
  const client = clientRewritingReads('client-unhashed', (events) => {
    for (const event of events) {
      delete event.prevHash;
      delete event.hash;
    }
  });

  const transcript = await exportTranscript(client, 'client-unhashed', { tenant: 'agency-a' });

  expect(transcript.verification).toMatchObject({ verdict: 'verified_by_server', local: { status: 'unhashed', events: 2 }, server: { valid: true, events: 2 } });
  expect(transcript.verification.statement).toContain('this API does not show event hashes, so their content was not recomputed locally');
  expect(transcriptMarkdown(transcript)).toContain('| hash chain, recomputed here | not recomputed: the API showed no hashes (events 1 to 2 without a gap) |');
});

test("another tenant's caller gets 404 for the session; a client signing for the wrong region gets API Gateway's 403, typed", async () => {
  const client = aliceClient();
  await client.createSession({ sessionId: 'client-tenancy' });
  const bob = new StatehouseClient({ url: env.gateway.invokeUrl, region: REGION, credentials: credentialsOf(env.bob) });
  const elsewhere = new StatehouseClient({ url: env.gateway.invokeUrl, region: 'us-east-1', credentials: credentialsOf(env.alice) });

  await expect(bob.readSession('client-tenancy')).rejects.toMatchObject({ status: 404, code: 'SessionNotFound' });
  await expect(elsewhere.readSession('client-tenancy')).rejects.toMatchObject({ status: 403, code: 'InvalidSignatureException', requestId: expect.any(String) });
  expect(() => new StatehouseClient({ url: invokeUrlOf('a1b2c3d4e5', 'us-gov-west-1'), region: 'us-east-1' })).toThrow(
    'the API\'s URL is in us-gov-west-1 but the region given is us-east-1',
  );
});

test("allSessions follows the cursor through every page: each of the caller's sessions once, newest first; another tenant's list is its own", async () => {
  const client = aliceClient();
  const created: string[] = [];
  for (let i = 0; i < 23; i++) created.push((await client.createSession({ sessionId: `client-list-${String(i).padStart(2, '0')}` })).sessionId);
  const bob = new StatehouseClient({ url: env.gateway.invokeUrl, region: REGION, credentials: credentialsOf(env.bob) });
  await bob.createSession({ sessionId: 'client-list-bob' });

  const listed: string[] = [];
  for await (const entry of client.allSessions({ limit: 5 })) listed.push(entry.sessionId);
  const first = await client.listSessions({ limit: 5 });

  expect(listed.filter((id) => id.startsWith('client-list-'))).toEqual([...created].reverse());
  expect(first.sessions).toHaveLength(5);
  expect(first.cursor).toEqual(expect.any(String));
  const bobs: string[] = [];
  for await (const entry of bob.allSessions()) bobs.push(entry.sessionId);
  expect(bobs).toEqual(['client-list-bob']);
  await expect(bob.listSessions({ cursor: first.cursor })).rejects.toMatchObject({ status: 400, code: 'ValidationError' });
});
