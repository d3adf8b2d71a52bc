import { createHash } from 'node:crypto';
import { PutItemCommand, ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { agentGuardrails } from '../../../../../lambda/core/adapters/guardrail/agent-guardrails';
import { StepFunctionsAgentLoop } from '../../../../../lambda/core/adapters/step-functions/agent-loop-starter';
import { enqueueTurn, runRound } from '../../../../../lambda/core/domain/background-turn';
import { StepFunctionsSlowToolStarter } from '../../../../../lambda/core/adapters/step-functions/slow-tool-starter';
import { StepFunctionsToolRunner } from '../../../../../lambda/core/adapters/step-functions/sync-tool-runner';
import { systemClock } from '../../../../../lambda/core/adapters/system-clock';
import { createSession } from '../../../../../lambda/core/domain/create-session';
import { ValidationError } from '../../../../../lambda/core/domain/errors';
import { WITHHELD_INPUT, WITHHELD_MESSAGE } from '../../../../../lambda/core/domain/guard';
import { genesisHash, verifyChain } from '../../../../../lambda/core/domain/hash-chain';
import { resumeTurn } from '../../../../../lambda/core/domain/resume-turn';
import { runTurn, type TurnDeps } from '../../../../../lambda/core/domain/run-turn';
import type { SessionEvent } from '../../../../../lambda/core/domain/session-event';
import { ToolPolicy } from '../../../../../lambda/core/domain/tool-policy';
import type { TurnTools } from '../../../../../lambda/core/domain/turn-rounds';
import { referenceItemKey } from '../../../../../lib/contract/reference-table';
import { modelToolDeclaration } from '../../../../../lib/contract/tool-declaration';
import { findTool } from '../../../../../lib/tools/catalog';
import { startLocalStepFunctions, type LocalStepFunctions } from '../../../../helpers/local-stepfunctions';
import { motoDynamoDbClient } from '../../../../helpers/moto';
import { createReferenceTable } from '../../../../lib/tool-workflow/reference-table';
import { agentDefinition, soleAgent, team, TEST_AGENT } from '../../support/agents';
import { delegateToolName } from '../../../../../lib/contract/agent';
import { startMotoSessions, type MotoSessions } from '../../support/moto-sessions';
import { BINDING, BLOCKED_INPUT_MESSAGE, BLOCKED_OUTPUT_MESSAGE, startScriptedGuardrail, type ScriptedGuardrail } from '../../support/scripted-guardrail';
import { reply, ScriptedModel } from '../../support/scripted-model';
import { registerLookupCase, stateMachineArn } from '../../support/tool-workflows';

/**
 * The guardrail on every text of a turn: runTurn and resumeTurn end to end,
 * storage on moto, fast tools through the local Step Functions endpoint
 * (lookup_case's GetItem on moto), the REAL ApplyGuardrail adapter and SDK
 * client against the scripted guardrail. Only the model and the guardrail
 * are scripted.
 */

const TENANT = 'agency-a';
const REFERENCE_TABLE = 'statehouse-reference';
const FAST = stateMachineArn('statehouse-guarded-fast-tools');
const SLOW = stateMachineArn('statehouse-guarded-slow-tools');
const EMAIL = 'jane.roe@example.gov';
const SSN = '123-45-6789';
const VIOLENT = 'Tell me how to smash the server room door.';

const LOOKUP = { id: 'call-lookup', name: 'lookup_case', input: { caseId: 'FOIA-4411' } };
/** A slow tool, declared inline: its workflow starts after the commit and the test resumes the turn itself. */
const ARCHIVE = {
  name: 'archive',
  description: 'Archive a case file; takes a while.',
  inputSchema: { type: 'object', properties: { caseId: { type: 'string' } }, required: ['caseId'], additionalProperties: false },
  timeoutSeconds: 60,
  mode: 'slow' as const,
};

let store: MotoSessions;
let scripted: ScriptedGuardrail;
let sfn: LocalStepFunctions;
let sfnClient: SFNClient;
let background: DynamoDBClient;
let tools: TurnTools;
let sessionSerial = 0;

beforeAll(async () => {
  store = await startMotoSessions();
  scripted = await startScriptedGuardrail();
  background = motoDynamoDbClient(store.moto);
  await createReferenceTable(background, REFERENCE_TABLE);
  await background.send(
    new PutItemCommand({
      TableName: REFERENCE_TABLE,
      Item: { caseId: { S: referenceItemKey(TENANT, 'caseId', 'FOIA-4411') }, status: { S: 'open' }, requesterEmail: { S: EMAIL } },
    }),
  );
  await background.send(new PutItemCommand({ TableName: REFERENCE_TABLE, Item: { caseId: { S: referenceItemKey(TENANT, 'caseId', 'FOIA-1') }, status: { S: 'closed' } } }));
  sfn = await startLocalStepFunctions();
  sfnClient = new SFNClient(sfn.clientConfig());
  registerLookupCase(sfn, FAST, background, REFERENCE_TABLE);
  sfn.register(SLOW, { StartAt: 'Started', States: { Started: { Type: 'Succeed' } } }, {});
  tools = {
    policy: ToolPolicy.of([modelToolDeclaration(findTool('lookup_case')!), ARCHIVE]),
    runner: new StepFunctionsToolRunner({ client: sfnClient, stateMachineArn: FAST }),
    slowTools: new StepFunctionsSlowToolStarter({ client: sfnClient, stateMachineArn: SLOW }),
  };
});

afterAll(async () => {
  sfnClient?.destroy();
  background?.destroy();
  await sfn?.stop();
  await scripted?.stop();
  await store?.stop();
});

beforeEach(() => {
  scripted.requests.length = 0;
});

async function newSession(): Promise<{ tenant: string; session: string }> {
  const ids = { tenant: TENANT, session: `s-guard-${++sessionSerial}` };
  await createSession({ sessions: store.repository, clock: systemClock, agents: soleAgent(ScriptedModel.answering()).agents }, { ...ids, owner: 'alice', maxTokens: 100_000 });
  return ids;
}

/** The sole agent's deployment; with `guarded`, its definition binds the scripted guardrail, which the real adapter applies. */
function deps(model: ScriptedModel, guarded = true): TurnDeps {
  const agents = soleAgent(model, ['lookup_case', 'archive']);
  const directory = guarded ? { ...agents.agents, agents: { [TEST_AGENT]: { ...agents.agents.agents[TEST_AGENT], guardrail: BINDING } } } : agents.agents;
  return {
    sessions: store.repository,
    agents: directory,
    modelFor: agents.modelFor,
    guardrailFor: agentGuardrails(directory, scripted.client),
    clock: systemClock,
    tools,
  };
}

const turn = (ids: { tenant: string; session: string }, requestId: string, message: string) => ({ ...ids, requestId, actor: 'alice', message });

/** The session's events, oldest first, after checking their chain. */
async function storedEvents(ids: { tenant: string; session: string }): Promise<SessionEvent[]> {
  const { header, events } = await store.repository.load(ids.tenant, ids.session, 50, { resolvePayloads: true });
  const chronological = [...events].reverse();
  expect(verifyChain(chronological, genesisHash(ids.tenant, ids.session))).toEqual({ ok: true, lastSeq: header.lastSeq, lastHash: header.lastHash });
  return chronological;
}

/** Every item of the session table as JSON text: what a reader of the table could see. */
async function tableText(): Promise<string> {
  const page = await background.send(new ScanCommand({ TableName: store.tableName, ConsistentRead: true }));
  return JSON.stringify(page.Items ?? []);
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

describe('the user message', () => {
  test('blocked: nothing reaches the model, the turn answers with the guardrail message, the log records the block and not the message', async () => {
    // GIVEN a session and a model that must not be asked
    const ids = await newSession();
    const model = ScriptedModel.answering();
    store.calls.reset();

    // WHEN the user sends what the content filter blocks
    const result = await runTurn(deps(model), turn(ids, 'r-1', VIOLENT));

    // THEN the guardrail answered, the client is told what blocked it, and no model was asked
    expect(result).toMatchObject({ reply: BLOCKED_INPUT_MESSAGE, status: 'idle', usage: { input: 0, output: 0 }, replayed: false });
    expect(result.guardrail).toEqual([{ subject: 'user_input', action: 'BLOCKED', policies: ['contentPolicy'], filters: ['VIOLENCE'], entities: [] }]);
    expect(model.prompts).toHaveLength(0);
    expect(scripted.requests).toEqual([{ path: `/guardrail/${BINDING.guardrailIdentifier}/version/${BINDING.guardrailVersion}/apply`, source: 'INPUT', text: VIOLENT }]);
    // Still one read and one write.
    expect(store.calls.counts).toEqual({ Query: 1, TransactWriteItems: 1 });
    const events = await storedEvents(ids);
    expect(events.map((e) => [e.seq, e.type, e.actor])).toEqual([
      [1, 'user', 'alice'],
      [2, 'guardrail', 'guardrail'],
      [3, 'assistant', 'guardrail'],
    ]);
    expect(events[0].content).toBe(WITHHELD_MESSAGE);
    // The intervention is the agent's, as the message it checked: stamped with the agent and its version.
    expect(events[1].agent).toBe(events[0].agent);
    expect(events[1].agentVersion).toBe(events[0].agentVersion);
    expect(events[1].agent).toBeDefined();
    expect(JSON.parse(events[1].content)).toEqual({
      subject: 'user_input',
      source: 'INPUT',
      action: 'BLOCKED',
      policies: ['contentPolicy'],
      filters: ['VIOLENCE'],
      entities: [],
      guardrail: BINDING,
      messageDigest: digest(VIOLENT),
    });
    expect(events[2].content).toBe(BLOCKED_INPUT_MESSAGE);
    expect(await tableText()).not.toContain('smash');
  });

  test('blocked, then retried: the same answer without another check; the same id with another message is refused', async () => {
    const ids = await newSession();
    const first = await runTurn(deps(ScriptedModel.answering()), turn(ids, 'r-1', `My SSN is ${SSN}`));
    expect(first.reply).toBe(BLOCKED_INPUT_MESSAGE);
    scripted.requests.length = 0;

    const retried = await runTurn(deps(ScriptedModel.answering()), turn(ids, 'r-1', `My SSN is ${SSN}`));

    expect(retried).toEqual({ ...first, replayed: true });
    expect(scripted.requests).toHaveLength(0);
    await expect(runTurn(deps(ScriptedModel.answering()), turn(ids, 'r-1', 'something else'))).rejects.toThrow(ValidationError);
    expect(await tableText()).not.toContain(SSN);
  });

  test('masked: the model is sent, and the log stores, the masked message; a retry is still recognised', async () => {
    const ids = await newSession();
    const model = ScriptedModel.answering(reply('I will write to that address.'));
    const message = `Please send the records to ${EMAIL}`;

    const result = await runTurn(deps(model), turn(ids, 'r-1', message));

    expect(model.prompts[0]).toEqual([{ role: 'user', content: 'Please send the records to {EMAIL}' }]);
    expect(result.guardrail).toEqual([{ subject: 'user_input', action: 'MASKED', policies: ['sensitiveInformationPolicy'], filters: [], entities: ['EMAIL'] }]);
    const events = await storedEvents(ids);
    expect(events.map((e) => [e.type, e.content.includes(EMAIL)])).toEqual([
      ['user', false],
      ['guardrail', false],
      ['assistant', false],
    ]);
    await expect(runTurn(deps(ScriptedModel.answering()), turn(ids, 'r-1', message))).resolves.toEqual({ ...result, replayed: true });
  });
});

describe("the model's answer", () => {
  test('PII is masked in what is stored and what the client gets, and the intervention is recorded before the answer', async () => {
    const ids = await newSession();

    const result = await runTurn(deps(ScriptedModel.answering(reply(`The requester is reachable at ${EMAIL}.`))), turn(ids, 'r-1', 'Who asked for FOIA-4411?'));

    expect(result.reply).toBe('The requester is reachable at {EMAIL}.');
    expect(result.guardrail).toEqual([{ subject: 'model_output', action: 'MASKED', policies: ['sensitiveInformationPolicy'], filters: [], entities: ['EMAIL'] }]);
    expect(scripted.requests.map((r) => r.source)).toEqual(['INPUT', 'OUTPUT']);
    const events = await storedEvents(ids);
    expect(events.map((e) => e.type)).toEqual(['user', 'guardrail', 'assistant']);
    expect(events[2]).toMatchObject({ content: 'The requester is reachable at {EMAIL}.', actor: 'model' });
    expect(await tableText()).not.toContain(EMAIL);
  });

  test("blocked: the reply is replaced by the guardrail's blocked-output message", async () => {
    const ids = await newSession();

    const result = await runTurn(deps(ScriptedModel.answering(reply('First, smash the server room lock.'))), turn(ids, 'r-1', 'How do I get in?'));

    expect(result.reply).toBe(BLOCKED_OUTPUT_MESSAGE);
    expect(result.guardrail).toEqual([{ subject: 'model_output', action: 'BLOCKED', policies: ['contentPolicy'], filters: ['VIOLENCE'], entities: [] }]);
    expect(await tableText()).not.toContain('smash');
  });
});

describe('tools', () => {
  test("a tool's result: the model sees, and the log stores, the masked result", async () => {
    // GIVEN a case record whose requester's e-mail the guardrail anonymizes
    const ids = await newSession();
    const model = ScriptedModel.answering(reply('Let me look it up.', [LOOKUP]), reply('FOIA-4411 is open; the requester is on file.'));

    // WHEN the model looks the case up
    const result = await runTurn(deps(model), turn(ids, 'r-1', 'What is the status of FOIA-4411?'));

    // THEN the tool ran once, and what came back reached the model masked
    expect(sfn.executions(FAST).filter((e) => e.input.includes(ids.session))).toHaveLength(1);
    const toolMessage = model.prompts[1].find((message) => message.role === 'tool');
    expect(toolMessage?.content).toContain('{EMAIL}');
    expect(toolMessage?.content).not.toContain(EMAIL);
    expect(result.guardrail).toEqual([
      { subject: 'tool_result', action: 'MASKED', policies: ['sensitiveInformationPolicy'], filters: [], entities: ['EMAIL'], toolCallId: LOOKUP.id },
    ]);
    const events = await storedEvents(ids);
    expect(events.map((e) => e.type)).toEqual(['user', 'assistant', 'tool_call', 'guardrail', 'tool_result', 'assistant']);
    expect(events[3]).toMatchObject({ toolCallId: LOOKUP.id, toolName: 'lookup_case', agent: events[1].agent, agentVersion: events[1].agentVersion });
    expect(events[3].agent).toBeDefined();
    expect(JSON.parse(events[4].content)).toEqual({
      ok: true,
      output: { caseId: { S: 'T#agency-a#caseId#FOIA-4411' }, requesterEmail: { S: '{EMAIL}' }, status: { S: 'open' } },
    });
    expect(await tableText()).not.toContain(EMAIL);
  });

  test('a blocked tool input is refused: the tool never runs, and the input is neither stored nor returned', async () => {
    const ids = await newSession();
    const blockedCall = { id: 'call-ssn', name: 'lookup_case', input: { caseId: SSN } };
    const model = ScriptedModel.answering(reply('', [blockedCall]), reply('I cannot look that up.'));
    const runsBefore = sfn.executions(FAST).length;

    const result = await runTurn(deps(model), turn(ids, 'r-1', 'Look up the case of the person with that number.'));

    expect(sfn.executions(FAST)).toHaveLength(runsBefore);
    expect(result.toolCalls).toEqual([{ ...blockedCall, input: WITHHELD_INPUT }]);
    expect(result.guardrail).toEqual([
      { subject: 'tool_input', action: 'BLOCKED', policies: ['sensitiveInformationPolicy'], filters: [], entities: ['US_SOCIAL_SECURITY_NUMBER'], toolCallId: 'call-ssn' },
    ]);
    const refusal = model.prompts[1].find((message) => message.role === 'tool');
    expect(JSON.parse(refusal?.content ?? '{}')).toEqual({
      ok: false,
      error: 'not_allowed',
      message: "the guardrail blocked this call's input (sensitiveInformationPolicy (US_SOCIAL_SECURITY_NUMBER)); the call did not run",
    });
    // The empty text of the tool-calling reply is not sent; the call's input is.
    expect(scripted.requests.map((r) => r.source)).toEqual(['INPUT', 'OUTPUT', 'OUTPUT']);
    expect(await tableText()).not.toContain(SSN);
  });

  test("a slow tool's result, when the turn resumes, is masked before the model sees it", async () => {
    const ids = await newSession();
    const call = { id: 'call-archive', name: 'archive', input: { caseId: 'FOIA-4411' } };
    const waiting = await runTurn(deps(ScriptedModel.answering(reply('Archiving.', [call]))), turn(ids, 'r-1', 'Archive FOIA-4411.'));
    expect(waiting.status).toBe('awaiting_tool');
    const model = ScriptedModel.answering(reply('Archived; a receipt went to the requester.'));

    const resumed = await resumeTurn(deps(model), {
      kind: 'statehouse.resume',
      tenant: ids.tenant,
      session: ids.session,
      toolCallId: call.id,
      result: { ok: true, output: { archived: true, receiptSentTo: EMAIL } },
    });

    expect(resumed).toMatchObject({ resumed: true, status: 'idle' });
    expect(model.prompts[0].find((message) => message.role === 'tool')?.content).toBe('{"ok":true,"output":{"archived":true,"receiptSentTo":"{EMAIL}"}}');
    const events = await storedEvents(ids);
    expect(events.slice(-3).map((e) => [e.type, e.toolCallId])).toEqual([
      ['tool_result', call.id],
      ['guardrail', call.id],
      ['assistant', undefined],
    ]);
    expect(await tableText()).not.toContain(EMAIL);
    // The request's retry returns the finished turn, the masking included.
    const retried = await runTurn(deps(ScriptedModel.answering()), turn(ids, 'r-1', 'Archive FOIA-4411.'));
    expect(retried.guardrail).toEqual([
      { subject: 'tool_result', action: 'MASKED', policies: ['sensitiveInformationPolicy'], filters: [], entities: ['EMAIL'], toolCallId: call.id },
    ]);
  });
});

describe('without intervention', () => {
  test('no guardrail: no ApplyGuardrail call at all', async () => {
    const ids = await newSession();
    const model = ScriptedModel.answering(reply('Let me look it up.', [LOOKUP]), reply(`Write to ${EMAIL}.`));

    const result = await runTurn(deps(model, false), turn(ids, 'r-1', VIOLENT));

    expect(scripted.requests).toHaveLength(0);
    expect(result.guardrail).toBeUndefined();
    expect((await storedEvents(ids)).map((e) => e.type)).toEqual(['user', 'assistant', 'tool_call', 'tool_result', 'assistant']);
  });

  test('a guardrail that lets everything through: one check per text, and the same events as without one', async () => {
    const ids = await newSession();
    const script = () => ScriptedModel.answering(reply('Let me look it up.', [{ ...LOOKUP, input: { caseId: 'FOIA-1' } }]), reply('FOIA-1 is closed.'));

    const result = await runTurn(deps(script()), turn(ids, 'r-1', 'What about FOIA-1?'));

    // The message, the reply's text, its call's input, the tool's result, the final answer.
    expect(scripted.requests.map((r) => r.source)).toEqual(['INPUT', 'OUTPUT', 'OUTPUT', 'INPUT', 'OUTPUT']);
    expect(result.guardrail).toBeUndefined();
    const unguarded = await newSession();
    await runTurn(deps(script(), false), turn(unguarded, 'r-1', 'What about FOIA-1?'));
    const shape = (events: SessionEvent[]) => events.map((e) => [e.type, e.content, e.actor]);
    expect(shape(await storedEvents(ids))).toEqual(shape(await storedEvents(unguarded)));
  });
});

describe('delegates', () => {
  const ASK = { id: 'call-ask', name: delegateToolName('research'), input: { request: 'Who asked for FOIA-4411?' } };

  /** intake delegates to research; each has the scripted guardrail when `guarded` names it. */
  function teamDeps(models: { intake: ScriptedModel; research: ScriptedModel }, guarded: readonly ('intake' | 'research')[]): TurnDeps {
    const bound = (name: 'intake' | 'research') => (guarded.includes(name) ? { guardrail: BINDING } : {});
    const { agents, modelFor } = team('intake', [
      [agentDefinition('intake', { instructions: 'You take FOIA requests.', delegates: ['research'], ...bound('intake') }), models.intake],
      [agentDefinition('research', { instructions: 'You research cases.', ...bound('research') }), models.research],
    ]);
    return { sessions: store.repository, agents, modelFor, guardrailFor: agentGuardrails(agents, scripted.client), clock: systemClock, tools };
  }

  async function newTeamSession(): Promise<{ tenant: string; session: string }> {
    const ids = { tenant: TENANT, session: `s-guard-team-${++sessionSerial}` };
    const { agents } = teamDeps({ intake: ScriptedModel.answering(), research: ScriptedModel.answering() }, []);
    await createSession({ sessions: store.repository, clock: systemClock, agents }, { ...ids, owner: 'alice', maxTokens: 100_000 });
    return ids;
  }

  test("the caller's guardrail checks the delegate's answer as a tool result: the caller's model sees, and its result stores, it masked", async () => {
    // GIVEN a guarded caller and a delegate without a guardrail, whose answer names the requester's address
    const ids = await newTeamSession();
    const models = {
      intake: ScriptedModel.answering(reply('Asking research.', [ASK]), reply('The requester is on file.')),
      research: ScriptedModel.answering(reply(`The requester is ${EMAIL}.`)),
    };

    // WHEN the caller delegates
    const result = await runTurn(teamDeps(models, ['intake']), turn(ids, 'r-1', 'Who asked for FOIA-4411?'));

    // THEN the caller's model saw the answer masked, and the intervention is the caller's, on that call
    expect(models.intake.prompts[1].at(-1)).toEqual({ role: 'tool', toolCallId: ASK.id, content: '{"ok":true,"output":"The requester is {EMAIL}."}' });
    expect(result.guardrail).toEqual([
      { subject: 'tool_result', action: 'MASKED', policies: ['sensitiveInformationPolicy'], filters: [], entities: ['EMAIL'], toolCallId: ASK.id },
    ]);
    const events = await storedEvents(ids);
    expect(events.map((e) => [e.type, e.actor, e.agent, e.delegationDepth])).toEqual([
      ['user', 'alice', 'intake', undefined],
      ['assistant', 'model', 'intake', undefined],
      ['tool_call', 'model', 'intake', undefined],
      ['user', 'agent:intake', 'research', 1],
      ['assistant', 'model', 'research', 1],
      ['guardrail', 'guardrail', 'intake', undefined],
      ['tool_result', 'agent:research', 'intake', undefined],
      ['assistant', 'model', 'intake', undefined],
    ]);
    expect(events[5]).toMatchObject({ toolCallId: ASK.id, toolName: ASK.name });
    expect(JSON.parse(events[6].content)).toEqual({ ok: true, output: 'The requester is {EMAIL}.' });
    // The delegate has no guardrail: its own answer is stored as it gave it, and nothing checked it for research.
    expect(events[4].content).toBe(`The requester is ${EMAIL}.`);
  });

  test("a delegate's answer the caller's guardrail blocks is withheld from the caller's model", async () => {
    const ids = await newTeamSession();
    const models = {
      intake: ScriptedModel.answering(reply('', [ASK]), reply('Research had nothing it could share.')),
      research: ScriptedModel.answering(reply(`The requester's SSN is ${SSN}.`)),
    };

    const result = await runTurn(teamDeps(models, ['intake']), turn(ids, 'r-1', 'Who asked for FOIA-4411?'));

    expect(JSON.parse(String(models.intake.prompts[1].at(-1)?.content))).toEqual({
      ok: false,
      error: 'not_allowed',
      message: "the guardrail withheld this tool's result (sensitiveInformationPolicy (US_SOCIAL_SECURITY_NUMBER))",
    });
    expect(result.guardrail?.map((entry) => [entry.subject, entry.action])).toEqual([['tool_result', 'BLOCKED']]);
    const stored = (await storedEvents(ids)).find((e) => e.type === 'tool_result' && e.toolCallId === ASK.id);
    expect(stored?.content).not.toContain(SSN);
  });

  test("a delegate's own guardrail checks its request before its model sees it; a blocked request never reaches it", async () => {
    const ids = await newTeamSession();
    const blockedAsk = { ...ASK, input: { request: VIOLENT } };
    const models = {
      intake: ScriptedModel.answering(reply('', [blockedAsk]), reply('Research would not take that.')),
      research: ScriptedModel.answering(),
    };

    const result = await runTurn(teamDeps(models, ['research']), turn(ids, 'r-1', 'Ask research something.'));

    expect(result.reply).toBe('Research would not take that.');
    expect(models.research.prompts).toHaveLength(0);
    // Only research's guardrail was asked, once, for its request: intake has none.
    expect(scripted.requests).toEqual([expect.objectContaining({ source: 'INPUT', text: VIOLENT })]);
    expect(JSON.parse(String(models.intake.prompts[1].at(-1)?.content))).toEqual({
      ok: false,
      error: 'not_allowed',
      message: `research's guardrail blocked the request: ${BLOCKED_INPUT_MESSAGE}`,
    });
    const events = await storedEvents(ids);
    expect(events.map((e) => [e.type, e.actor, e.agent, e.delegationDepth])).toEqual([
      ['user', 'alice', 'intake', undefined],
      ['assistant', 'model', 'intake', undefined],
      ['tool_call', 'model', 'intake', undefined],
      ['user', 'agent:intake', 'research', 1],
      ['guardrail', 'guardrail', 'research', 1],
      ['assistant', 'guardrail', 'research', 1],
      ['tool_result', 'agent:research', 'intake', undefined],
      ['assistant', 'model', 'intake', undefined],
    ]);
    expect(events[3].content).toBe(WITHHELD_MESSAGE);
  });

  test('a masked request reaches the delegate masked; the caller without a guardrail takes its answer as it is', async () => {
    const ids = await newTeamSession();
    const maskedAsk = { ...ASK, input: { request: `Find the case of ${EMAIL}.` } };
    const models = {
      intake: ScriptedModel.answering(reply('', [maskedAsk]), reply('Found it.')),
      research: ScriptedModel.answering(reply('Case FOIA-4411.')),
    };

    await runTurn(teamDeps(models, ['research']), turn(ids, 'r-1', 'Find my case.'));

    expect(models.research.prompts[0]).toEqual([
      { role: 'system', content: 'You research cases.' },
      { role: 'user', content: 'Find the case of {EMAIL}.' },
    ]);
    // research's request (INPUT) and its answer (OUTPUT); intake's own texts and the answer it received are not checked.
    expect(scripted.requests.map((r) => [r.source, r.text])).toEqual([
      ['INPUT', `Find the case of ${EMAIL}.`],
      ['OUTPUT', 'Case FOIA-4411.'],
    ]);
    expect(JSON.parse(String(models.intake.prompts[1].at(-1)?.content))).toEqual({ ok: true, output: 'Case FOIA-4411.' });
  });
});

describe('background turns', () => {
  const LOOP = stateMachineArn('statehouse-guarded-agent-loop');
  beforeAll(() => {
    // The loop as these tests need it: an execution that waits until stopped (the tests play its rounds).
    sfn.register(LOOP, { StartAt: 'Rounds', States: { Rounds: { Type: 'Wait', Seconds: 3600, End: true } } }, {}, { waitMs: 3_600_000 });
  });
  const backgroundDeps = (model: ScriptedModel) => ({
    ...deps(model),
    loop: new StepFunctionsAgentLoop({ client: sfnClient, stateMachineArn: LOOP }),
    background: { deadlineSeconds: 3600, maxRounds: 50 },
  });

  test('the message is checked when the turn is queued: a blocked one is answered by the guardrail at once, with no loop and nothing of it stored', async () => {
    const ids = await newSession();
    const model = ScriptedModel.answering();

    const view = await enqueueTurn(backgroundDeps(model), { ...turn(ids, 'r-bg', VIOLENT), actor: 'alice' });

    expect(view).toMatchObject({ mode: 'background', status: 'completed', rounds: 0, reply: BLOCKED_INPUT_MESSAGE });
    expect(view.guardrail).toEqual([{ subject: 'user_input', action: 'BLOCKED', policies: ['contentPolicy'], filters: ['VIOLENCE'], entities: [] }]);
    expect(model.prompts).toHaveLength(0);
    expect(sfn.executions(LOOP).filter((execution) => execution.input.includes(ids.session))).toHaveLength(0);
    expect((await storedEvents(ids)).map((e) => [e.type, e.actor])).toEqual([
      ['user', 'alice'],
      ['guardrail', 'guardrail'],
      ['assistant', 'guardrail'],
    ]);
    // This session's items: its events and its request's marker (other tests of the file share the table).
    const marker = await store.repository.readRequestMarker(ids.tenant, ids.session, 'r-bg');
    expect(JSON.stringify([await storedEvents(ids), marker])).not.toContain('smash');
  });

  test('a masked message is queued masked: the first round\'s model sees, and the log stores, the masked text', async () => {
    const ids = await newSession();
    const model = ScriptedModel.answering(reply('I will write to that address.'));
    const background = backgroundDeps(model);

    await enqueueTurn(background, turn(ids, 'r-bg', `Send the records to ${EMAIL}`));
    await expect(runRound(background, { kind: 'statehouse.round', ...ids, requestId: 'r-bg', round: 0 })).resolves.toEqual({ status: 'done', round: 1 });

    expect(model.prompts[0]).toEqual([{ role: 'user', content: 'Send the records to {EMAIL}' }]);
    expect((await storedEvents(ids)).map((e) => e.type)).toEqual(['user', 'guardrail', 'assistant']);
    const marker = await store.repository.readRequestMarker(ids.tenant, ids.session, 'r-bg');
    expect(JSON.stringify([await storedEvents(ids), marker])).not.toContain(EMAIL);
  });
});
