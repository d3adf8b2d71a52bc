import OpenAI from 'openai';
import { Agent, OpenAIResponsesModel, run, setTracingDisabled } from '@openai/agents';
import { SFNClient } from '@aws-sdk/client-sfn';
import { StepFunctionsAgentLoop } from '../../../lambda/core/adapters/step-functions/agent-loop-starter';
import { systemClock } from '../../../lambda/core/adapters/system-clock';
import { parseTenantMap } from '../../../lambda/core/http/caller';
import { runRound } from '../../../lambda/core/domain/background-turn';
import type { OrchestratorDeps } from '../../../lambda/orchestrator/orchestrator-deps';
import { backgroundDepsOf } from '../../../lambda/orchestrator/orchestrator-deps';
import { startLocalStepFunctions, type LocalStepFunctions } from '../../helpers/local-stepfunctions';
import { soleAgent } from '../core/support/agents';
import { reply, ScriptedModel } from '../core/support/scripted-model';
import { stateMachineArn } from '../core/support/tool-workflows';
import { BOB, TENANT_MAP_JSON } from '../orchestrator/support/api-events';
import { quietTelemetry, startOrchestratorHarness, TEST_LIMITS, type OrchestratorHarness } from '../orchestrator/support/orchestrator-harness';
import { openAiFor } from './support/openai-transport';

/**
 * The OpenAI-compatible API through the OFFICIAL `openai` package, whose
 * requests the orchestrator's handler answers in this process
 * (support/openai-transport.ts). Sessions on moto; the model is the
 * scripted double.
 */

const LOOP = stateMachineArn('statehouse-openai-agent-loop');

let harness: OrchestratorHarness;
let sfn: LocalStepFunctions;
let sfnClient: SFNClient;
let serial = 0;

beforeAll(async () => {
  harness = await startOrchestratorHarness();
  sfn = await startLocalStepFunctions();
  sfnClient = new SFNClient(sfn.clientConfig());
  sfn.register(LOOP, { StartAt: 'Rounds', States: { Rounds: { Type: 'Wait', Seconds: 3600, End: true } } }, {}, { waitMs: 3_600_000 });
});

afterAll(async () => {
  sfnClient?.destroy();
  await sfn?.stop();
  await harness?.stop();
});

function depsWith(model: ScriptedModel): OrchestratorDeps {
  return {
    sessions: harness.store.repository,
    ...soleAgent(model),
    clock: systemClock,
    tenants: parseTenantMap(TENANT_MAP_JSON),
    limits: TEST_LIMITS,
    loop: new StepFunctionsAgentLoop({ client: sfnClient, stateMachineArn: LOOP }),
    background: { deadlineSeconds: 3600, maxRounds: 50 },
    ...quietTelemetry(),
  };
}

describe('responses', () => {
  test('a response opens a conversation on the agent named by model; the next one continues it by previous_response_id', async () => {
    const model = ScriptedModel.answering(reply('FOIA-4411 is open.'), reply('It was filed on 2 November.'));
    const openai = openAiFor(depsWith(model));

    const first = await openai.responses.create({ model: 'assistant', input: 'What is the status of FOIA-4411?' });

    expect(first).toMatchObject({ object: 'response', status: 'completed', model: 'assistant', output_text: 'FOIA-4411 is open.' });
    expect(first.id).toMatch(/^resp_/);
    expect(first.usage).toMatchObject({ input_tokens: 10, output_tokens: 5, total_tokens: 15 });
    const conversation = (first as unknown as { conversation: { id: string } }).conversation.id;
    expect(conversation).toMatch(/^conv_/);

    const second = await openai.responses.create({ input: 'When was it filed?', previous_response_id: first.id });

    expect(second.output_text).toBe('It was filed on 2 November.');
    expect((second as unknown as { conversation: { id: string } }).conversation.id).toBe(conversation);
    // The model saw the conversation so far: one session, two turns.
    expect(model.prompts[1].map((message) => message.content)).toEqual(['What is the status of FOIA-4411?', 'FOIA-4411 is open.', 'When was it filed?']);
    await expect(openai.responses.retrieve(first.id)).resolves.toMatchObject({ id: first.id, status: 'completed', output_text: 'FOIA-4411 is open.' });
  });

  test('conversations: create, send into one, list its items, delete; a deleted one is a 404', async () => {
    const openai = openAiFor(depsWith(ScriptedModel.answering(reply('Hello, how can I help?'))));

    const conversation = await openai.conversations.create({});
    expect(conversation).toMatchObject({ object: 'conversation' });
    const response = await openai.responses.create({ input: 'Hello.', conversation: conversation.id });
    expect(response.output_text).toBe('Hello, how can I help?');

    const items = await openai.conversations.items.list(conversation.id);
    expect(items.data.map((item) => [item.type, (item as { role?: string }).role])).toEqual([
      ['message', 'user'],
      ['message', 'assistant'],
    ]);
    await expect(openai.conversations.retrieve(conversation.id)).resolves.toMatchObject({ id: conversation.id });
    await expect(openai.conversations.delete(conversation.id)).resolves.toMatchObject({ id: conversation.id, deleted: true });
    await expect(openai.conversations.retrieve(conversation.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  test('the Idempotency-Key is the turn\'s requestId: a retried create answers with the same response and writes nothing', async () => {
    const model = ScriptedModel.answering(reply('Once.'));
    const openai = openAiFor(depsWith(model));
    const key = `idem-${++serial}`;

    // The OpenAI client sends no idempotency header of its own; a caller passes it per request.
    const first = await openai.responses.create({ model: 'assistant', input: 'Say it once.' }, { headers: { 'Idempotency-Key': key } });
    const before = await harness.snapshot();
    const again = await openai.responses.create({ model: 'assistant', input: 'Say it once.' }, { headers: { 'Idempotency-Key': key } });

    expect(again.id).toBe(first.id);
    expect(again.output_text).toBe('Once.');
    expect(model.prompts).toHaveLength(1);
    expect(await harness.snapshot()).toBe(before);
  });

  test('stream: true sends response.* events; the text deltas are the committed output', async () => {
    const openai = openAiFor({ ...depsWith(ScriptedModel.answering(reply('FOIA-4411 is open and due on 7 December.'))), streamText: () => undefined });

    const stream = await openai.responses.create({ model: 'assistant', input: 'Status?', stream: true });
    const types: string[] = [];
    let deltas = '';
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') deltas += event.delta;
      if (event.type === 'response.completed') completed = event.response;
    }

    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    expect(types).toContain('response.output_text.done');
    const committed = completed!.output.flatMap((item) => (item.type === 'message' ? item.content : [])).map((part) => (part.type === 'output_text' ? part.text : '')).join('');
    expect(deltas).toBe(committed);
    expect(committed).toBe('FOIA-4411 is open and due on 7 December.');
  });

  test('background: true queues the turn on the agent loop; retrieve follows it; cancel ends it', async () => {
    const model = ScriptedModel.answering(reply('Working.', [{ id: 'c1', name: 'not_deployed', input: {} }]), reply('never'));
    const deps = depsWith(model);
    const openai = openAiFor(deps);

    const queued = await openai.responses.create({ model: 'assistant', input: 'A long job.', background: true });
    expect(queued).toMatchObject({ status: 'queued', background: true });
    // The loop's first round, as its Round task runs it.
    const { conversation } = queued as unknown as { conversation: { id: string } };
    const session = conversation.id.slice('conv_'.length);
    const requestId = Buffer.from(queued.id.slice('resp_'.length), 'base64url').toString('utf8').split('\n')[1];
    await runRound(backgroundDepsOf(deps), { kind: 'statehouse.round', tenant: 'agency-a', session, requestId, round: 0 });
    await expect(openai.responses.retrieve(queued.id)).resolves.toMatchObject({ status: 'in_progress', output_text: 'Working.' });

    const cancelled = await openai.responses.cancel(queued.id);
    expect(cancelled.status).toBe('in_progress');
    await runRound(backgroundDepsOf(deps), { kind: 'statehouse.round', tenant: 'agency-a', session, requestId, round: 1 });
    await expect(openai.responses.retrieve(queued.id)).resolves.toMatchObject({ status: 'cancelled', incomplete_details: { reason: expect.stringContaining('cancelled by') } });
  });
});

describe('the OpenAI Agents SDK', () => {
  test('an Agents SDK agent runs on the deployment\'s agent: its run is a turn, its next run continues the conversation', async () => {
    setTracingDisabled(true);
    const model = ScriptedModel.answering(reply('FOIA-4411 is open.'), reply('Filed on 2 November.'));
    const agent = new Agent({ name: 'caseworker', model: new OpenAIResponsesModel(openAiFor(depsWith(model)), 'assistant') });

    const first = await run(agent, 'What is the status of FOIA-4411?');
    expect(first.finalOutput).toBe('FOIA-4411 is open.');
    const second = await run(agent, 'When was it filed?', { previousResponseId: first.lastResponseId });

    expect(second.finalOutput).toBe('Filed on 2 November.');
    expect(model.prompts[1].map((message) => message.content)).toEqual(['What is the status of FOIA-4411?', 'FOIA-4411 is open.', 'When was it filed?']);
  });
});

describe('what is not served is refused by name, with a 400, and writes nothing', () => {
  test.each<[string, Record<string, unknown>, RegExp]>([
    ['instructions', { model: 'assistant', input: 'x', instructions: 'Be a pirate.' }, /unsupported parameter "instructions": the agent's instructions come from its definition/],
    ['a hosted tool', { model: 'assistant', input: 'x', tools: [{ type: 'web_search' }] }, /tools\.0\.type: "web_search" tools are not served: only "function" tools/],
    ['several at once', { model: 'assistant', input: 'x', temperature: 0.2, top_p: 0.9 }, /unsupported parameters "temperature", "top_p"/],
    ['store: false', { model: 'assistant', input: 'x', store: false }, /store: must be true \(or left out\)/],
    ['an agent the deployment does not run', { model: 'gpt-4o', input: 'x' }, /agent: "gpt-4o" is not an agent of this deployment/],
    ['both conversation and previous_response_id', { input: 'x', conversation: 'conv_a', previous_response_id: 'resp_a' }, /give conversation or previous_response_id, not both/],
    ['a response id of another deployment', { input: 'x', previous_response_id: 'resp_bm90IG91cnM' }, /is not a response id of this deployment/],
  ])('%s', async (_case, body, message) => {
    const openai = openAiFor(depsWith(ScriptedModel.answering()));
    const before = await harness.snapshot();

    const failure = await openai.responses.create(body as never).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(OpenAI.BadRequestError);
    expect((failure as InstanceType<typeof OpenAI.BadRequestError>).message).toMatch(message);
    expect((failure as { error?: { type?: string } }).error?.type).toBe('invalid_request_error');
    expect(await harness.snapshot()).toBe(before);
  });

  test("another tenant's conversation is not found; another caller's is forbidden", async () => {
    const openai = openAiFor(depsWith(ScriptedModel.answering(reply('Mine.'))));
    const mine = await openai.responses.create({ model: 'assistant', input: 'Hello.' });
    const { conversation } = mine as unknown as { conversation: { id: string } };

    await expect(openAiFor(depsWith(ScriptedModel.answering()), BOB).responses.create({ input: 'Peek.', conversation: conversation.id })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(openAiFor(depsWith(ScriptedModel.answering()), BOB).responses.retrieve(mine.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });
});
