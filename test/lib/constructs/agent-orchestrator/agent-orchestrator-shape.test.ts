import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import {
  AgentOrchestrator,
  ORCHESTRATOR_MAX_TIMEOUT,
  type AgentOrchestratorProps,
} from '../../../../lib/constructs/agent-orchestrator/agent-orchestrator';
import { GOV_WEST, targetStack } from '../construct-test-stacks';
import { orchestratorIn } from './orchestrator-fixture';

/** AgentOrchestrator's L2 shape: function overrides within what it requires, the import, grants and metrics. */

function agentWith(overrides: Partial<AgentOrchestratorProps> = {}) {
  return orchestratorIn(GOV_WEST, () => overrides);
}

const serviceOf = (fn: any) => fn.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME;

describe('AgentOrchestrator function overrides', () => {
  test('memory, concurrency and a shorter timeout apply; the defaults stay where nothing is given', () => {
    // GIVEN overrides for both functions
    const { stack } = agentWith({
      orchestratorFunctionProps: { memorySize: 2048, timeout: Duration.seconds(20) },
      summarizerFunctionProps: { reservedConcurrentExecutions: 3 },
    });
    // THEN
    const functions = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'));
    const orchestrator = functions.find((f) => serviceOf(f) === 'orchestrator')!;
    const summarizer = functions.find((f) => serviceOf(f) === 'summarizer')!;
    expect(orchestrator.Properties).toMatchObject({ MemorySize: 2048, Timeout: 20 });
    expect(summarizer.Properties).toMatchObject({ ReservedConcurrentExecutions: 3, Timeout: 120 });
  });

  test('without overrides the orchestrator waits at most API Gateway\'s 29 s and the summarizer runs 10 at a time', () => {
    const functions = Object.values(Template.fromStack(agentWith().stack).findResources('AWS::Lambda::Function'));
    expect(functions.find((f) => serviceOf(f) === 'orchestrator')!.Properties.Timeout).toBe(ORCHESTRATOR_MAX_TIMEOUT.toSeconds());
    expect(functions.find((f) => serviceOf(f) === 'summarizer')!.Properties.ReservedConcurrentExecutions).toBe(10);
  });

  test('an orchestrator timeout past 29 s is refused, naming the prop and the limit', () => {
    expect(() => agentWith({ orchestratorFunctionProps: { timeout: Duration.seconds(60) } })).toThrow(
      /orchestratorFunctionProps\.timeout is 60 s; API Gateway stops waiting after 29 s, so use at most 29 s/,
    );
  });
});

describe('AgentOrchestrator import, grants and metrics', () => {
  test('an imported orchestrator can be invoked by a grantee and has the same metrics', () => {
    // GIVEN an orchestrator deployed elsewhere
    const { stack } = targetStack(GOV_WEST);
    const arn = `arn:aws-us-gov:lambda:${GOV_WEST}:123456789012:function:agency-orchestrator`;
    const imported = AgentOrchestrator.fromAgentOrchestratorAttributes(stack, 'Agent', { orchestratorFunctionArn: arn });
    const caller = new iam.Role(stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });
    // WHEN
    imported.grantInvoke(caller);
    // THEN the grant names that function, and the metrics its name
    const policy = JSON.stringify(Template.fromStack(stack).findResources('AWS::IAM::Policy'));
    expect(policy).toContain('lambda:InvokeFunction');
    expect(policy).toContain('agency-orchestrator');
    expect(imported.metricErrors().dimensions).toEqual({ FunctionName: 'agency-orchestrator' });
    expect(imported.metricDuration().period.toMinutes()).toBe(1);
    expect(imported.metricSummarizerErrors()).toBeUndefined();
  });

  test('a created orchestrator reports its summarizer\'s errors too', () => {
    const { agent, stack } = agentWith();
    const metric = agent.metricSummarizerErrors();
    expect(metric).toBeDefined();
    expect(stack.resolve((metric as any).dimensions.FunctionName)).toEqual({ Ref: stack.getLogicalId(agent.summarizer.function.node.defaultChild as any) });
  });
});
