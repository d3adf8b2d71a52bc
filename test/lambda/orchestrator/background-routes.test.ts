import { SFNClient } from '@aws-sdk/client-sfn';
import { StepFunctionsAgentLoop } from '../../../lambda/core/adapters/step-functions/agent-loop-starter';
import { startLocalStepFunctions, type LocalStepFunctions } from '../../helpers/local-stepfunctions';
import { ScriptedModel } from '../core/support/scripted-model';
import { stateMachineArn } from '../core/support/tool-workflows';
import { api, BOB } from './support/api-events';
import { startOrchestratorHarness, type OrchestratorHarness } from './support/orchestrator-harness';

/**
 * The background-turn routes through the orchestrator's handler (API
 * Gateway proxy events, the caller's role mapped to its tenant): what a
 * client sends and gets, and that bad input is a 4xx that writes nothing.
 * The rounds themselves are tested in test/lambda/core/adapters/background-turn.test.ts.
 */

const LOOP = stateMachineArn('statehouse-routes-agent-loop');

let harness: OrchestratorHarness;
let sfn: LocalStepFunctions;
let client: SFNClient;
let serial = 0;

beforeAll(async () => {
  harness = await startOrchestratorHarness();
  sfn = await startLocalStepFunctions();
  client = new SFNClient(sfn.clientConfig());
  sfn.register(LOOP, { StartAt: 'Rounds', States: { Rounds: { Type: 'Wait', Seconds: 3600, End: true } } }, {}, { waitMs: 3_600_000 });
});

afterAll(async () => {
  client?.destroy();
  await sfn?.stop();
  await harness?.stop();
});

const withLoop = () =>
  harness.handlerWith(ScriptedModel.answering(), { loop: new StepFunctionsAgentLoop({ client, stateMachineArn: LOOP }), background: { deadlineSeconds: 3600, maxRounds: 50 } });

async function newSession(send: ReturnType<typeof withLoop>): Promise<string> {
  const sessionId = `routes-bg-${++serial}`;
  expect((await send(api.create({ sessionId }))).statusCode).toBe(201);
  return sessionId;
}

test('POST turns with mode background answers 202 with the queued turn; GET shows it; cancel is 202 until the next step boundary', async () => {
  const send = withLoop();
  const sessionId = await newSession(send);

  const queued = await send(api.turn(sessionId, { requestId: 'r-1', message: 'A long job.', mode: 'background' }));
  expect(queued).toMatchObject({ statusCode: 202, body: { turn: { requestId: 'r-1', mode: 'background', status: 'queued', rounds: 0 } } });
  expect((await send(api.readTurn(sessionId, 'r-1'))).body.turn).toEqual(queued.body.turn);

  const busy = await send(api.turn(sessionId, { requestId: 'r-2', message: 'Meanwhile?' }));
  expect(busy).toMatchObject({ statusCode: 409, body: { error: { code: 'SessionAwaiting', details: { status: 'running', runningTurn: 'r-1' } } } });

  const cancel = await send(api.cancel(sessionId, 'r-1', { reason: 'changed my mind' }));
  expect(cancel).toMatchObject({ statusCode: 202, body: { turn: { status: 'queued', cancelRequested: { reason: 'changed my mind' } } } });
});

test.each([
  ['an unknown mode', { requestId: 'r-1', message: 'x', mode: 'later' }, /mode/],
  ['a mode of the wrong type', { requestId: 'r-1', message: 'x', mode: 1 }, /mode/],
])('%s is a 400 that writes nothing', async (_case, body, message) => {
  const send = withLoop();
  const sessionId = await newSession(send);
  const before = await harness.snapshot();

  const response = await send(api.turn(sessionId, body));

  expect(response.statusCode).toBe(400);
  expect(response.body.error.message).toMatch(message);
  expect(await harness.snapshot()).toBe(before);
});

test('where the target runs no agent loop, a background turn is a 400 that says so and writes nothing', async () => {
  const send = harness.handlerWith(ScriptedModel.answering());
  const sessionId = `routes-bg-${++serial}`;
  await send(api.create({ sessionId }));
  const before = await harness.snapshot();

  const response = await send(api.turn(sessionId, { requestId: 'r-1', message: 'x', mode: 'background' }));

  expect(response).toMatchObject({ statusCode: 400, body: { error: { code: 'ValidationError', message: expect.stringContaining('background turns are off in this deployment') } } });
  expect(await harness.snapshot()).toBe(before);
});

test('hostile turn routes: bad ids, bodies and callers are 4xx, never 5xx, and write nothing', async () => {
  const send = withLoop();
  const sessionId = await newSession(send);
  await send(api.turn(sessionId, { requestId: 'r-1', message: 'A long job.', mode: 'background' }));
  const before = await harness.snapshot();

  const responses = await Promise.all([
    send(api.readTurn(sessionId, '../r-1')),
    send(api.readTurn(sessionId, 'x'.repeat(300))),
    send(api.readTurn(sessionId, 'r-unknown')),
    send(api.readTurn(sessionId, 'r-1', BOB)),
    send(api.cancel(sessionId, 'r-1', { reason: '' })),
    send(api.cancel(sessionId, 'r-1', { reason: 'x'.repeat(5000) })),
    send(api.cancel(sessionId, 'r-1', { why: 'extra field' })),
    send(api.cancel(sessionId, 'r-1', 'not json')),
    send(api.cancel(sessionId, 'r-1', { reason: 'mine now' }, BOB)),
    send(api.cancel(sessionId, 'r-unknown', { reason: 'x' })),
  ]);

  expect(responses.map((response) => response.statusCode)).toEqual([400, 400, 404, 404, 400, 400, 400, 400, 404, 404]);
  expect(await harness.snapshot()).toBe(before);
});
