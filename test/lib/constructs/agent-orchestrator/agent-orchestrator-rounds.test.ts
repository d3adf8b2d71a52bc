import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AgentLoop } from '../../../../lib/constructs/agent-loop/agent-loop';
import { ENV } from '../../../../lib/contract/env-names';
import { GOV_WEST, listOf, logicalIdOf, roleStatements, TEST_ACCOUNT } from '../construct-test-stacks';
import { orchestratorIn } from './orchestrator-fixture';

/** AgentOrchestrator's round function (`background`): created with the orchestrator's configuration, or not at all. */

type Fn = { Properties: Record<string, any> };
const functionsOf = (template: Template) => Object.values(template.findResources('AWS::Lambda::Function')) as Fn[];
const serviceOf = (fn: Fn) => fn.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME;
const byService = (template: Template, service: string) => functionsOf(template).find((fn) => serviceOf(fn) === service);
const LOOP_ARN = `arn:aws-us-gov:states:${GOV_WEST}:${TEST_ACCOUNT}:stateMachine:elsewhere-agent-loop`;

describe('AgentOrchestrator background turns', () => {
  test('without `background`: no round function, and no background limits in the orchestrator\'s environment', () => {
    const { agent, template } = orchestratorIn(GOV_WEST);
    expect([agent.rounds, agent.roundFunction, agent.background]).toEqual([undefined, undefined, undefined]);
    expect(functionsOf(template).map(serviceOf).sort()).toEqual(['orchestrator', 'summarizer']);
    expect(Object.keys(byService(template, 'orchestrator')!.Properties.Environment.Variables).filter((name) => name.includes('BACKGROUND'))).toEqual([]);
  });

  test('with `background`: the round function `Rounds`, 15 minutes, the orchestrator\'s environment (the limits in both), agents, sessions and models', () => {
    // GIVEN the defaults of background turns
    const { agent, template } = orchestratorIn(GOV_WEST, () => ({ background: {} }));
    // THEN
    expect(agent.rounds?.node.id).toBe('Rounds');
    expect(agent.background).toEqual({ deadline: Duration.seconds(3600), maxRounds: 50 });
    const rounds = byService(template, 'agent-loop')!;
    const orchestrator = byService(template, 'orchestrator')!;
    expect(rounds.Properties.Timeout).toBe(900);
    expect(rounds.Properties.Environment.Variables).toEqual({ ...orchestrator.Properties.Environment.Variables, POWERTOOLS_SERVICE_NAME: 'agent-loop' });
    expect(orchestrator.Properties.Environment.Variables).toMatchObject({ [ENV.BACKGROUND_DEADLINE_SECONDS]: '3600', [ENV.BACKGROUND_MAX_ROUNDS]: '50', [ENV.TENANT_MAP]: '{}' });
    // AND the same grants as the orchestrator's (sessions read-write, payloads, the agent's model), each to its own log group and queue
    const grants = (fn: Fn) =>
      roleStatements(template, fn.Properties.Role['Fn::GetAtt'][0]).map((s) => JSON.stringify(s).replace(/Agent(Orchestrator|Rounds)(Logs|DeadLetters)[0-9A-F]{8}/g, 'Own$2'));
    expect(grants(rounds)).toEqual(grants(orchestrator));
  });

  test('limits and function settings of your own', () => {
    const { template } = orchestratorIn(GOV_WEST, () => ({ background: { deadline: Duration.minutes(10), maxRounds: 5 }, roundFunctionProps: { memorySize: 2048, timeout: Duration.minutes(5) } }));
    const rounds = byService(template, 'agent-loop')!;
    expect(rounds.Properties).toMatchObject({ MemorySize: 2048, Timeout: 300 });
    expect(rounds.Properties.Environment.Variables).toMatchObject({ [ENV.BACKGROUND_DEADLINE_SECONDS]: '600', [ENV.BACKGROUND_MAX_ROUNDS]: '5' });
    expect(byService(template, 'orchestrator')!.Properties.Environment.Variables).toMatchObject({ [ENV.BACKGROUND_DEADLINE_SECONDS]: '600', [ENV.BACKGROUND_MAX_ROUNDS]: '5' });
  });

  test('addEnvironment reaches the orchestrator and the round function, not the summarizer', () => {
    const { template } = orchestratorIn(GOV_WEST, () => ({ background: {} }), (agent) => agent.addEnvironment({ [ENV.TOOLS]: '[]' }));
    expect(functionsOf(template).filter((fn) => fn.Properties.Environment.Variables[ENV.TOOLS] === '[]').map(serviceOf).sort()).toEqual(['agent-loop', 'orchestrator']);
  });

  test('addAgentLoop: both turn functions name the loop; only the orchestrator may start, describe, stop and answer it', () => {
    // GIVEN an orchestrator with a round function WHEN given a loop deployed elsewhere
    const fixture = orchestratorIn(GOV_WEST, () => ({ background: {} }), (agent, stack) => agent.addAgentLoop(AgentLoop.fromAgentLoopAttributes(stack, 'Loop', { stateMachineArn: LOOP_ARN })));
    // THEN
    const { template } = fixture;
    const statesGrants = (role: iam.IRole) =>
      roleStatements(template, logicalIdOf(role))
        .flatMap((s) => listOf(s.Action as string | string[]))
        .filter((a) => a.startsWith('states:'))
        .sort();
    expect(statesGrants(fixture.agent.orchestrator.role)).toEqual(['states:DescribeExecution', 'states:SendTaskFailure', 'states:SendTaskSuccess', 'states:StartExecution', 'states:StopExecution']);
    expect(statesGrants(fixture.agent.rounds!.role)).toEqual([]);
    expect(byService(template, 'orchestrator')!.Properties.Environment.Variables[ENV.AGENT_LOOP_STATE_MACHINE]).toBe(LOOP_ARN);
    expect(byService(template, 'agent-loop')!.Properties.Environment.Variables[ENV.AGENT_LOOP_STATE_MACHINE]).toBe(LOOP_ARN);
    expect(byService(template, 'summarizer')!.Properties.Environment.Variables[ENV.AGENT_LOOP_STATE_MACHINE]).toBeUndefined();
  });

  test.each<[string, Record<string, unknown>, RegExp]>([
    ['no rounds', { maxRounds: 0 }, /Agent: background\.maxRounds is 0; give a whole number of rounds from 1 to 500/],
    ['too many rounds', { maxRounds: 501 }, /background\.maxRounds is 501; give a whole number of rounds from 1 to 500/],
    ['part of a round', { maxRounds: 2.5 }, /background\.maxRounds is 2\.5; give a whole number/],
    ['a deadline of zero', { deadline: Duration.seconds(0) }, /Agent: background\.deadline is 0 s; a background turn's deadline is a whole number of seconds from 1 to 86400/],
    ['a deadline past a day', { deadline: Duration.days(2) }, /background\.deadline is 172800 s; .* from 1 to 86400 \(a day\)/],
  ])('refuses %s, naming the prop, the value and the fix', (_case, background, message) => {
    expect(() => orchestratorIn(GOV_WEST, () => ({ background }))).toThrow(message);
  });
});
