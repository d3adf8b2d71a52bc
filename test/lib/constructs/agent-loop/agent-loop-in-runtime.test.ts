import { Template } from 'aws-cdk-lib/assertions';
import { listAcknowledgments } from '../../../../lib/compliance/acknowledgments';
import { readValidationReport } from '../../../../lib/compliance/validation-report';
import { AGENT_LOOP_STATES } from '../../../../lib/constructs/agent-loop/agent-loop';
import { agentLoopMachineName } from '../../../../lib/constructs/agent-loop/agent-loop-defaults';
import { fastToolsMachineName, slowToolsMachineName } from '../../../../lib/constructs/tool-workflow/tool-workflow-defaults';
import { targetPrefix } from '../../../../lib/config/naming';
import { ENV } from '../../../../lib/contract/env-names';
import type { ToolDeclaration } from '../../../../lib/contract/tool-declaration';
import { partitionOf } from '../../../../lib/residency/region-facts';
import type { StatehouseStage } from '../../../../lib/stacks/statehouse-stage';
import { cfnLint, cfnLintReady } from '../../../helpers/cfn-lint';
import { stacksOf, synthStatehouse, templatePath, type Synthesized } from '../../../helpers/synth';
import { declaredTools, lambdaTools, slowTools, toolServiceName } from '../../tool-workflow/support/declared-tools';
import { functionEnvironment, machineNamed, synthesizedMachines, templateResolver, TEST_ACCOUNT, type SynthesizedMachine } from '../../tool-workflow/synthesized-workflows';

/**
 * The agent loop as the Runtime stack of each default target wires it: the
 * round function next to the orchestrator, the loop's definition and role,
 * what the orchestrator may do with it, the compliance packs and cfn-lint,
 * and the `background` configuration (limits, and off).
 */
const TARGETS = ['Commercial', 'GovWest'];

let synth: Synthesized;
beforeAll(() => {
  // GIVEN the default configuration: background turns on
  synth = synthStatehouse({ targets: TARGETS.join(','), cfnValidation: true });
});

type Resource = { Type: string; Properties: Record<string, any> };
const resources = (template: Template, type: string): Array<[string, Resource]> => Object.entries(template.findResources(type)) as Array<[string, Resource]>;

/** The function whose Powertools service name is `service`, if any. */
function functionsOf(template: Template, service: string): Array<[string, Resource]> {
  return resources(template, 'AWS::Lambda::Function').filter(([, f]) => f.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === service);
}

function statementsOf(template: Template, roleLogicalId: string): Array<Record<string, any>> {
  return resources(template, 'AWS::IAM::Policy')
    .filter(([, p]) => p.Properties.Roles.some((r: unknown) => JSON.stringify(r) === JSON.stringify({ Ref: roleLogicalId })))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
}

const actionsOf = (statement: Record<string, any>): string[] => [statement.Action].flat();
/** A Step Functions statement, or the use of a machine's key that goes with one. */
const isStepFunctions = (s: Record<string, any>) => actionsOf(s).some((a) => a.startsWith('states:')) || JSON.stringify(s.Condition ?? {}).includes('aws:states:stateMachineArn');

describe.each(TARGETS)('target %s', (targetName) => {
  let stage: StatehouseStage;
  let template: Template;
  let machines: SynthesizedMachine[];
  let tools: readonly ToolDeclaration[];
  let resolve: (value: unknown) => unknown;
  let region: string;
  let partition: string;
  const prefix = targetPrefix(targetName);
  beforeAll(() => {
    stage = synth.stages.find((s) => s.stageName === targetName)!;
    template = Template.fromStack(stage.runtime);
    machines = synthesizedMachines(stage.runtime, stacksOf(stage));
    tools = declaredTools(stage);
    resolve = templateResolver(stage.runtime, stacksOf(stage)).resolve;
    region = stage.runtime.region;
    partition = partitionOf(region)!.id;
  });
  const arnOf = (service: string, resource: string) => `arn:${partition}:${service}:${region}:${TEST_ACCOUNT}:${resource}`;
  const roleOf = (fn: Resource): string => fn.Properties.Role['Fn::GetAtt'][0];
  const oneFunction = (service: string): [string, Resource] => {
    const found = functionsOf(template, service);
    expect(found).toHaveLength(1);
    return found[0];
  };

  test('the loop: a Standard machine under its fixed name whose Round tasks call the round function and whose slow call the approval wait and the slow tools', () => {
    const loop = machineNamed(machines, '-agent-loop');
    expect([loop.name, loop.type]).toEqual([agentLoopMachineName(prefix), 'STANDARD']);
    expect(agentLoopMachineName(prefix)).toBe(`statehouse-${targetName.toLowerCase()}-agent-loop`);
    const [roundId] = oneFunction('agent-loop');
    const states = loop.definition.States as Record<string, any>;
    for (const name of [AGENT_LOOP_STATES.ROUND, AGENT_LOOP_STATES.ROUND_AFTER_SLOW_CALL, AGENT_LOOP_STATES.ROUND_FAILED]) {
      expect(states[name].Resource).toBe(arnOf('lambda', `function:${roundId}`));
    }
    const branch = states[AGENT_LOOP_STATES.RUN_SLOW_CALL].Branches[0].States;
    expect(branch['Wait for approval'].Parameters.FunctionName).toBe(arnOf('lambda', `function:${oneFunction('approval-wait')[0]}`));
    for (const tool of lambdaTools(slowTools(tools))) {
      expect(branch[`Run ${tool.name}`].Resource).toBe(arnOf('lambda', `function:${oneFunction(toolServiceName(tool))[0]}`));
    }
    // The deadline (3600 s by default) and the backstop past it.
    expect(loop.definition.TimeoutSeconds).toBe(7200);
  });

  test('the loop\'s role may invoke exactly the round function, the approval wait and the slow tools\' functions', () => {
    const loop = machineNamed(machines, '-agent-loop');
    const roleId = template.toJSON().Resources[loop.logicalId].Properties.RoleArn['Fn::GetAtt'][0];
    const statements = statementsOf(template, roleId);
    const invoked = statements
      .filter((s) => actionsOf(s).includes('lambda:InvokeFunction'))
      .flatMap((s) => [s.Resource].flat())
      .map((r) => String(resolve(r)).replace(/^.*:function:/, ''));
    const ids = ['agent-loop', 'approval-wait', ...lambdaTools(slowTools(tools)).map(toolServiceName)].map((service) => oneFunction(service)[0]);
    expect([...new Set(invoked)].sort()).toEqual([...ids, ...ids.map((id) => `${id}:*`)].sort());
    expect(statements.flatMap(actionsOf).filter((a) => a.startsWith('states:') || a.startsWith('lambda:'))).toEqual(['lambda:InvokeFunction']);
  });

  test('the orchestrator may start, describe and stop the loop\'s executions and answer its task tokens, besides the tool workflows: nothing more of Step Functions', () => {
    const [, orchestrator] = oneFunction('orchestrator');
    const grants = statementsOf(template, roleOf(orchestrator))
      .filter((s) => actionsOf(s).some((a) => a.startsWith('states:')))
      .flatMap((s) => actionsOf(s).flatMap((action) => [s.Resource].flat().map((r) => `${action} ${resolve(r)}`)))
      .sort();
    const machine = (name: string) => arnOf('states', `stateMachine:${name}`);
    const executions = (name: string) => arnOf('states', `execution:${name}:*`);
    const [loop, slow, fast] = [agentLoopMachineName(prefix), slowToolsMachineName(prefix), fastToolsMachineName(prefix)];
    expect(grants).toEqual(
      [
        `states:DescribeExecution ${executions(loop)}`,
        `states:DescribeExecution ${executions(slow)}`,
        `states:SendTaskFailure ${machine(loop)}`,
        `states:SendTaskFailure ${machine(slow)}`,
        `states:SendTaskSuccess ${machine(loop)}`,
        `states:SendTaskSuccess ${machine(slow)}`,
        `states:StartExecution ${machine(loop)}`,
        `states:StartExecution ${machine(slow)}`,
        `states:StartSyncExecution ${machine(fast)}`,
        `states:StopExecution ${executions(loop)}`,
      ].sort(),
    );
    const env = functionEnvironment(stage.runtime, stacksOf(stage), 'orchestrator');
    expect(env[ENV.AGENT_LOOP_STATE_MACHINE]).toBe(machine(loop));
  });

  test('the round function is configured as the orchestrator is: the same environment (the loop and its limits included), its own service name', () => {
    const orchestrator = functionEnvironment(stage.runtime, stacksOf(stage), 'orchestrator');
    const rounds = functionEnvironment(stage.runtime, stacksOf(stage), 'agent-loop');
    expect(rounds).toEqual({ ...orchestrator, POWERTOOLS_SERVICE_NAME: 'agent-loop' });
    // The orchestrator sets a background turn's deadline when it starts one; the round function enforces it: both read the limits.
    expect([orchestrator[ENV.BACKGROUND_DEADLINE_SECONDS], orchestrator[ENV.BACKGROUND_MAX_ROUNDS]]).toEqual(['3600', '50']);
    // Every tool variable the orchestrator gets, the round function gets too; and the loop, which its wiring requires.
    for (const name of [ENV.TOOLS_DIGEST, ENV.TOOL_POLICY, ENV.FAST_TOOLS_STATE_MACHINE, ENV.SLOW_TOOLS_STATE_MACHINE, ENV.AGENT_LOOP_STATE_MACHINE, ENV.TENANT_MAP]) {
      expect(rounds[name]).toBeDefined();
    }
    const [, fn] = oneFunction('agent-loop');
    expect(fn.Properties).toMatchObject({ Timeout: 900, TracingConfig: { Mode: 'Active' }, VpcConfig: expect.anything(), KmsKeyArn: expect.anything() });
  });

  test('the round function has the orchestrator\'s data and model access; of Step Functions only the fast tools', () => {
    const [, orchestrator] = oneFunction('orchestrator');
    const [, rounds] = oneFunction('agent-loop');
    const [orchestratorStatements, roundStatements] = [orchestrator, rounds].map((fn) => statementsOf(template, roleOf(fn)));
    // Sessions, payloads, the data key, the agents' models and guardrails, the VPC's ENIs: the same statements
    // (each function writes to its own log group and dead-letter queue).
    const others = (statements: Array<Record<string, any>>) =>
      statements.filter((s) => !isStepFunctions(s)).map((s) => JSON.stringify(s).replace(/Agent(Orchestrator|Rounds)(Logs|DeadLetters)[0-9A-F]{8}/g, 'Own$2'));
    expect(others(roundStatements)).toEqual(others(orchestratorStatements));
    expect(others(roundStatements).join()).toMatch(/dynamodb:Query.*bedrock:InvokeModel/);
    const stepFunctions = roundStatements.filter((s) => actionsOf(s).some((a) => a.startsWith('states:')));
    expect(stepFunctions.map((s) => `${actionsOf(s).join()} ${resolve(s.Resource)}`)).toEqual([`states:StartSyncExecution ${arnOf('states', `stateMachine:${fastToolsMachineName(prefix)}`)}`]);
  });

  test('cdk-nag (AwsSolutions, NIST 800-53 R5) and the residency guard: zero findings on the loop and the round function; each acknowledgment with its reason', () => {
    const { errors } = readValidationReport(synth.assembly.directory);
    expect(errors.filter((e) => e.paths.some((p) => p.startsWith(`${targetName}/`)))).toEqual([]);
    const acks = [...listAcknowledgments(stage.runtime.loop!), ...listAcknowledgments(stage.runtime.agent.rounds!)];
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) expect(ack.reason.trim().length).toBeGreaterThanOrEqual(40);
  });

  test('cfn-lint reports zero errors for the target region', () => {
    if (!cfnLintReady()) return;
    expect(cfnLint(stacksOf(stage).map(templatePath), region).filter((f) => f.Level === 'Error')).toEqual([]);
  });
});

describe('the background configuration', () => {
  test('limits of its own: the round function\'s variables and the loop\'s backstop follow them', () => {
    // GIVEN a two-hour deadline and 20 rounds in GovWest
    const { stages } = synthStatehouse({ targets: 'GovWest', overrides: { targets: { GovWest: { background: { deadlineSeconds: 7200, maxRounds: 20 } } } } });
    const [stage] = stages;
    // THEN
    for (const service of ['orchestrator', 'agent-loop']) {
      const env = functionEnvironment(stage.runtime, stacksOf(stage), service);
      expect([env[ENV.BACKGROUND_DEADLINE_SECONDS], env[ENV.BACKGROUND_MAX_ROUNDS]]).toEqual(['7200', '20']);
    }
    expect(machineNamed(synthesizedMachines(stage.runtime, stacksOf(stage)), '-agent-loop').definition.TimeoutSeconds).toBe(7200 + 3600);
  });

  test('enabled: false: no loop, no round function, and the orchestrator neither names the loop nor may start it', () => {
    // GIVEN background turns off in GovWest
    const { stages, assembly } = synthStatehouse({ targets: 'GovWest', overrides: { targets: { GovWest: { background: { enabled: false } } } }, cfnValidation: true });
    const [stage] = stages;
    const template = Template.fromStack(stage.runtime);
    // THEN only the two tool workflows, and the functions of before
    expect(synthesizedMachines(stage.runtime, stacksOf(stage)).map((m) => m.name).sort()).toEqual([fastToolsMachineName('statehouse-govwest'), slowToolsMachineName('statehouse-govwest')]);
    expect(stage.runtime.loop).toBeUndefined();
    expect(stage.runtime.agent.rounds).toBeUndefined();
    expect(functionsOf(template, 'agent-loop')).toEqual([]);
    const env = functionEnvironment(stage.runtime, stacksOf(stage), 'orchestrator');
    expect(Object.keys(env).filter((name) => name.includes('AGENT_LOOP') || name.includes('BACKGROUND'))).toEqual([]);
    expect(JSON.stringify(template.toJSON())).not.toContain('agent-loop');
    expect(readValidationReport(assembly.directory).errors).toEqual([]);
  });
});
