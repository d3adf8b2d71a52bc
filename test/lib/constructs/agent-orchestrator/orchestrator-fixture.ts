import type { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AgentOrchestrator, type AgentOrchestratorProps } from '../../../../lib/constructs/agent-orchestrator/agent-orchestrator';
import { ModelBackend } from '../../../../lib/constructs/model-backend/model-backend';
import { SessionStore } from '../../../../lib/constructs/session-store/session-store';
import { targetStack, testFoundation, type TargetStackFixture } from '../construct-test-stacks';

/**
 * An AgentOrchestrator with its own session store and foundation in `region`; `props` of the test's own, over a Nova Pro default model and no tenants.
 * `then` adds to it (addEnvironment, addAgentLoop) before the stack is synthesized for `template`.
 */
export function orchestratorIn(
  region: string,
  props: (stack: Stack) => Partial<AgentOrchestratorProps> = () => ({}),
  then: (agent: AgentOrchestrator, stack: Stack) => void = () => {},
): TargetStackFixture & { agent: AgentOrchestrator; template: Template } {
  const fixture = targetStack(region);
  const foundation = testFoundation(fixture.stack);
  const sessions = new SessionStore(fixture.stack, 'Sessions', {
    namePrefix: 'statehouse-test-data',
    dataKey: foundation.dataKey,
    s3Endpoint: foundation.s3Endpoint,
    accessLogsBucket: foundation.accessLogs,
  });
  const agent = new AgentOrchestrator(fixture.stack, 'Agent', {
    sessions,
    vpc: foundation.vpc,
    subnets: foundation.subnets,
    logsKey: foundation.logsKey,
    dataKey: foundation.dataKey,
    logRetention: foundation.logRetention,
    model: ModelBackend.bedrockConverse({ modelId: 'amazon.nova-pro-v1:0' }),
    tenants: {},
    fipsServices: [],
    ...props(fixture.stack),
  });
  then(agent, fixture.stack);
  return { ...fixture, agent, template: Template.fromStack(fixture.stack) };
}
