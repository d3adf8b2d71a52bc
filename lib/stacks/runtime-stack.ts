import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { findTool } from '../tools/catalog';
import type { ToolDeclaration } from '../contract/tool-declaration';
import type { TargetConfig } from '../config/schema';
import { AgentOrchestrator } from '../constructs/agent-orchestrator/agent-orchestrator';
import type { INeuronEndpoint } from '../constructs/neuron-endpoint/neuron-endpoint';
import { SessionApi } from '../constructs/session-api/session-api';
import { ToolWorkflow } from '../constructs/tool-workflow/tool-workflow';
import { fipsHostServices } from '../residency/region-facts';
import type { FoundationStack } from './foundation-stack';
import { modelBackendFor } from './model-props';
import type { StateStack } from './state-stack';

export interface RuntimeStackProps extends StackProps {
  readonly target: TargetConfig;
  /** Prefix of the runtime's named resources (the tool state machines). */
  readonly namePrefix: string;
  readonly foundation: FoundationStack;
  readonly state: StateStack;
  /** The target's Neuron endpoint (Inference stack), for models of kind `neuron`. @default none */
  readonly neuronEndpoint?: INeuronEndpoint;
  readonly logRetention: logs.RetentionDays;
}

/** Stateless compute of one target: orchestrator, summarizer, tool workflows and the session API (DESTROY; redeploy freely). */
export class RuntimeStack extends Stack {
  public readonly agent: AgentOrchestrator;
  public readonly tools: ToolWorkflow;
  public readonly api: SessionApi;

  constructor(scope: Construct, id: string, props: RuntimeStackProps) {
    super(scope, id, props);
    const { target, foundation, state } = props;
    const network = foundation.network;

    const fipsServices = target.residency.fips ? fipsHostServices(target.region) : [];
    this.agent = new AgentOrchestrator(this, 'Agent', {
      sessions: state.sessions,
      vpc: network.vpc,
      subnets: network.subnets,
      logsKey: foundation.keys.logs,
      dataKey: foundation.keys.data,
      logRetention: props.logRetention,
      model: modelBackendFor(target.model, target.residency, props.neuronEndpoint),
      summarizerModel: target.summarizerModel && modelBackendFor(target.summarizerModel, target.residency, props.neuronEndpoint),
      tenants: target.tenants,
      limits: target.session,
      fipsServices,
    });

    this.tools = new ToolWorkflow(this, 'Tools', {
      tools: target.tools.enabled.map((name): ToolDeclaration => findTool(name)!),
      policy: target.tools.policy,
      knowledgeBaseId: target.tools.knowledgeBaseId,
      namePrefix: props.namePrefix,
      resumeTarget: this.agent.orchestratorFunction,
      sessions: state.sessions,
      referenceData: state.referenceData,
      vpc: network.vpc,
      subnets: network.subnets,
      logsKey: foundation.keys.logs,
      dataKey: foundation.keys.data,
      logRetention: props.logRetention,
      fipsServices,
    });
    this.agent.addEnvironment(this.tools.orchestratorEnvironment);
    this.tools.grantOrchestration(this.agent.orchestrator.grantPrincipal);

    const endpoint = network.interfaceEndpoints['execute-api'];
    if (!endpoint) {
      throw new Error(
        `interfaceEndpoints must include "execute-api": the session API is private and reachable only through that endpoint (got ${Object.keys(network.interfaceEndpoints).join(', ')}).`,
      );
    }
    this.api = new SessionApi(this, 'Api', {
      handler: this.agent.orchestrator.function,
      endpoint,
      logsKey: foundation.keys.logs,
      logRetention: props.logRetention,
    });

    // What an operator (and `npm run deploy:local`) needs to find the runtime: logs, test invocations, executions.
    new CfnOutput(this, 'OrchestratorFunctionName', {
      value: this.agent.orchestrator.function.functionName,
      description: 'The orchestrator function: its environment names the session table, payload bucket and workflows',
    });
    new CfnOutput(this, 'FastToolsStateMachineArn', { value: this.tools.fastMachineArn, description: 'Express workflow of fast tools' });
    new CfnOutput(this, 'SlowToolsStateMachineArn', { value: this.tools.slowMachineArn, description: 'Standard workflow of slow and approval-gated tools' });
  }
}
