import type { DynamoDBStreamEvent } from 'aws-lambda';
import { systemClock } from '../../../lambda/core/adapters/system-clock';
import { SUMMARY_PREAMBLE } from '../../../lambda/core/domain/context-builder';
import { sessionPk } from '../../../lambda/core/domain/session-keys';
import type { SummarizeSettings } from '../../../lambda/core/domain/summarize';
import { estimateTokens } from '../../../lambda/core/domain/token-estimate';
import type { ChatMessage, ModelBackend, ModelReply, ToolSpec } from '../../../lambda/core/ports/model-backend';
import { createHandler } from '../../../lambda/summarizer/handler';
import { reply, ScriptedModel } from '../core/support/scripted-model';
import { ALICE, api } from '../orchestrator/support/api-events';
import { quietTelemetry, startOrchestratorHarness, TEST_LIMITS, type OrchestratorHarness } from '../orchestrator/support/orchestrator-harness';
import { rawHeader, streamEventFor } from './support/stream-records';

/**
 * The summarizer on moto: sessions built through the orchestrator's handler,
 * stream records built from the items really stored, only the model scripted.
 */
const TENANT = 'agency-a';
/** K = 2: a fold is due once more than 4 events are unsummarized, and covers all but the newest 2. */
const CONTEXT_EVENTS = 2;
const SETTINGS: SummarizeSettings = { contextEvents: CONTEXT_EVENTS };

let harness: OrchestratorHarness;
let serial = 0;

beforeAll(async () => {
  harness = await startOrchestratorHarness();
});

afterAll(async () => {
  await harness?.stop();
});

function orchestrator(model: ModelBackend) {
  return harness.handlerWith(model, { limits: { ...TEST_LIMITS, contextEvents: CONTEXT_EVENTS } });
}

function summarizer(model: ModelBackend, settings: SummarizeSettings = SETTINGS) {
  return createHandler({ sessions: harness.store.repository, model, clock: systemClock, settings, ...quietTelemetry() });
}

/** A session of `turns` echoed turns, taken through the API. */
async function sessionWithTurns(turns: number): Promise<{ sessionId: string; pk: string }> {
  const sessionId = `summed-${++serial}`;
  const send = orchestrator(ScriptedModel.echoing());
  await send(api.create({ sessionId }));
  for (let i = 1; i <= turns; i++) {
    const response = await send(api.turn(sessionId, { requestId: `r-${i}`, message: `message ${i} of ${sessionId}` }));
    expect(response.statusCode).toBe(200);
  }
  return { sessionId, pk: sessionPk(TENANT, sessionId) };
}

async function streamFor(...pks: string[]): Promise<DynamoDBStreamEvent> {
  return streamEventFor(harness.store.dynamodb, harness.store.tableName, pks);
}

async function header(sessionId: string) {
  return (await harness.store.repository.load(TENANT, sessionId, 0)).header;
}

/** A model that calls `during` before it answers: a stand-in for a slow model while something else happens. */
class ModelThatWaitsFor implements ModelBackend {
  constructor(
    private readonly inner: ModelBackend,
    private readonly during: () => Promise<void>,
  ) {}

  async chat(messages: readonly ChatMessage[], tools?: readonly ToolSpec[]): Promise<ModelReply> {
    await this.during();
    return this.inner.chat(messages, tools);
  }
}

/** Fails every prompt that mentions `marker`; answers the others from the script. */
class ModelFailingOn implements ModelBackend {
  constructor(
    private readonly marker: string,
    private readonly inner: ScriptedModel,
  ) {}

  async chat(messages: readonly ChatMessage[]): Promise<ModelReply> {
    if (messages.some((message) => message.content.includes(this.marker))) throw new Error('endpoint unavailable');
    return this.inner.chat(messages);
  }
}

describe('summarizer', () => {
  test('folds the events older than the newest K into the header summary with one update, version untouched', async () => {
    const { sessionId, pk } = await sessionWithTurns(3);
    const before = await rawHeader(harness.store.dynamodb, harness.store.tableName, pk);
    const model = ScriptedModel.answering(reply('Alice sent messages 1 and 2; the assistant echoed them.', [], { input: 90, output: 12 }));

    const result = await summarizer(model)(await streamFor(pk));

    expect(result).toEqual({ batchItemFailures: [] });
    const after = await rawHeader(harness.store.dynamodb, harness.store.tableName, pk);
    expect(after.summary).toEqual({ S: 'Alice sent messages 1 and 2; the assistant echoed them.' });
    expect(after.summaryUpToSeq).toEqual({ N: '4' });
    // Nothing else of the header changed: not its version, not a turn's fields.
    const { summary: _s1, summaryUpToSeq: _u1, ...restBefore } = before;
    const { summary: _s2, summaryUpToSeq: _u2, ...restAfter } = after;
    expect(restAfter).toEqual(restBefore);
    expect(after.version).toEqual({ N: '3' });

    // The model saw events 1..4 (the old summary was empty) and not the newest K = 2.
    expect(model.prompts).toHaveLength(1);
    const prompt = model.prompts[0].map((message) => message.content).join('\n');
    expect(prompt).toContain('Existing summary:\n(none)');
    for (const seen of [`message 1 of ${sessionId}`, `echo: message 2 of ${sessionId}`]) expect(prompt).toContain(seen);
    expect(prompt).not.toContain(`message 3 of ${sessionId}`);

    // The next turn's context: the summary, then only the events after it.
    const turnModel = ScriptedModel.answering(reply('ok'));
    await orchestrator(turnModel)(api.turn(sessionId, { requestId: 'r-4', message: 'what did I say?' }));
    expect(turnModel.prompts[0]).toEqual([
      { role: 'system', content: `${SUMMARY_PREAMBLE}Alice sent messages 1 and 2; the assistant echoed them.` },
      { role: 'user', content: `message 3 of ${sessionId}` },
      { role: 'assistant', content: `echo: message 3 of ${sessionId}` },
      { role: 'user', content: 'what did I say?' },
    ]);
    expect((await orchestrator(turnModel)(api.verify(sessionId))).body).toEqual({ valid: true, events: 8 });
  });

  test('a session with no more than 2×K unsummarized events is left alone', async () => {
    const { pk } = await sessionWithTurns(2);
    const before = await harness.snapshot();
    const model = ScriptedModel.answering();

    expect(await summarizer(model)(await streamFor(pk))).toEqual({ batchItemFailures: [] });

    expect(model.prompts).toHaveLength(0);
    expect(await harness.snapshot()).toBe(before);
  });

  test('a turn that started before the summary was written still commits, and keeps the summary', async () => {
    const { sessionId, pk } = await sessionWithTurns(3);
    const stream = await streamFor(pk);
    const summarize = summarizer(ScriptedModel.answering(reply('folded while a turn was in flight')));
    let summarizedDuringTurn: unknown;
    // The turn has read the header (version 3) when the model is called; the summarizer writes before the turn does.
    const slowModel = new ModelThatWaitsFor(ScriptedModel.echoing(), async () => {
      summarizedDuringTurn = await summarize(stream);
    });

    const turn = await orchestrator(slowModel)(api.turn(sessionId, { requestId: 'r-4', message: 'in flight' }));

    expect(summarizedDuringTurn).toEqual({ batchItemFailures: [] });
    expect(turn).toMatchObject({ statusCode: 200, body: { version: 4, lastSeq: 8, reply: 'echo: in flight' } });
    expect(await header(sessionId)).toMatchObject({
      version: 4,
      lastSeq: 8,
      summary: 'folded while a turn was in flight',
      summaryUpToSeq: 4,
    });
  });

  test('a session that fails reports its own records as batch item failures; the others are summarized', async () => {
    const failing = await sessionWithTurns(3);
    const healthy = await sessionWithTurns(3);
    const stream = await streamFor(failing.pk, healthy.pk);
    const failingBefore = await rawHeader(harness.store.dynamodb, harness.store.tableName, failing.pk);
    const model = new ModelFailingOn(failing.sessionId, ScriptedModel.answering(reply('healthy summary')));

    const result = await summarizer(model)(stream);

    const failingRecords = stream.Records.filter((record) => record.dynamodb?.Keys?.pk.S === failing.pk);
    expect(failingRecords).toHaveLength(6);
    expect(result.batchItemFailures).toEqual(failingRecords.map((record) => ({ itemIdentifier: record.dynamodb?.SequenceNumber })));
    expect(await rawHeader(harness.store.dynamodb, harness.store.tableName, failing.pk)).toEqual(failingBefore);
    expect(await header(healthy.sessionId)).toMatchObject({ summary: 'healthy summary', summaryUpToSeq: 4, version: 3 });
  });

  test('a retried batch, or a stale run, never replaces a summary with one that covers less', async () => {
    const { sessionId, pk } = await sessionWithTurns(4);
    const stream = await streamFor(pk);
    const model = ScriptedModel.answering(reply('covers 1..6'));

    await summarizer(model)(stream);
    await summarizer(model)(stream);

    expect(model.prompts).toHaveLength(1);
    expect(await header(sessionId)).toMatchObject({ summary: 'covers 1..6', summaryUpToSeq: 6 });
    // A run that read the session earlier and folded less loses its write.
    await expect(harness.store.repository.updateSummary(TENANT, sessionId, 'covers 1..4', 4)).resolves.toBe(false);
    await expect(harness.store.repository.updateSummary(TENANT, sessionId, 'covers 1..6 again', 6)).resolves.toBe(false);
    expect(await header(sessionId)).toMatchObject({ summary: 'covers 1..6', summaryUpToSeq: 6, version: 4 });
  });

  test('records of a deleted session, and records that are not new events, are skipped without failing', async () => {
    const deleted = await sessionWithTurns(3);
    const stream = await streamEventFor(harness.store.dynamodb, harness.store.tableName, [deleted.pk], { header: true });
    expect(stream.Records.some((record) => record.eventName === 'MODIFY')).toBe(true);
    await orchestrator(ScriptedModel.answering())(api.delete(deleted.sessionId, ALICE));
    const before = await harness.snapshot();
    const model = ScriptedModel.answering();

    expect(await summarizer(model)(stream)).toEqual({ batchItemFailures: [] });

    expect(model.prompts).toHaveLength(0);
    // The conditional update cannot bring back a header for a deleted session.
    expect(await harness.snapshot()).toBe(before);
    await expect(harness.store.repository.updateSummary(TENANT, deleted.sessionId, 'ghost', 4)).resolves.toBe(false);
    expect(await harness.snapshot()).toBe(before);
  });

  test('the summary is cut to its bounded length, and an empty summary is a failure', async () => {
    const long = await sessionWithTurns(3);
    const empty = await sessionWithTurns(3);

    await summarizer(ScriptedModel.answering(reply('x'.repeat(500))), { ...SETTINGS, maxSummaryChars: 100 })(await streamFor(long.pk));
    const failed = await summarizer(ScriptedModel.answering(reply('   ')))(await streamFor(empty.pk));

    expect((await header(long.sessionId)).summary).toBe('x'.repeat(100));
    expect(failed.batchItemFailures).toHaveLength(6);
    expect(await header(empty.sessionId)).toMatchObject({ summary: '', summaryUpToSeq: 0 });
  });

  test('a long backlog is folded in bounded steps, each step building on the last summary', async () => {
    const { sessionId, pk } = await sessionWithTurns(6);
    const stream = await streamFor(pk);
    // Room for one user message and its echo: two events per fold.
    const model = ScriptedModel.answering(reply('step 1'), reply('step 2'));
    const turnTokens = estimateTokens(`message 1 of ${sessionId}`) + estimateTokens(`echo: message 1 of ${sessionId}`);
    const settings = { ...SETTINGS, maxFoldTokens: turnTokens };

    await summarizer(model, settings)(stream);
    expect(await header(sessionId)).toMatchObject({ summary: 'step 1', summaryUpToSeq: 2 });
    await summarizer(model, settings)(stream);
    expect(await header(sessionId)).toMatchObject({ summary: 'step 2', summaryUpToSeq: 4 });
    expect(model.prompts[1][1].content).toContain('Existing summary:\nstep 1');
  });
});
