import { Annotations, CfnOutput, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { AgentLoop } from '../constructs/agent-loop/agent-loop';
import { agentLoopMachineName } from '../constructs/agent-loop/agent-loop-defaults';
import { AgentOrchestrator } from '../constructs/agent-orchestrator/agent-orchestrator';
import { Guardrail } from '../constructs/guardrail/guardrail';
import type { INeuronEndpoint } from '../constructs/neuron-endpoint/neuron-endpoint';
import { Operations, type WatchedWorkflow } from '../constructs/operations/operations';
import type { PlatformFunction } from '../constructs/platform-function/platform-function';
import { SessionApi } from '../constructs/session-api/session-api';
import { ToolWorkflow } from '../constructs/tool-workflow/tool-workflow';
import type { FoundationStack } from './foundation-stack';
import type { StateStack } from './state-stack';
import { STREAMING_CAPABILITIES, type RuntimeSettings } from './target-props';
import { requireCapability } from '../residency/capability-gate';

export interface RuntimeStackProps extends StackProps {
  readonly settings: RuntimeSettings;
  /** Services whose SDK clients use a separate -fips host in the target region. */
  readonly fipsServices: readonly string[];
  readonly foundation: FoundationStack;
  readonly state: StateStack;
  /** The target's Neuron endpoint (Inference stack), for models of kind `neuron`. @default none */
  readonly neuronEndpoint?: INeuronEndpoint;
  readonly logRetention: logs.RetentionDays;
}

/** Stateless compute of one target: orchestrator, summarizer, tool workflows, the agent loop and the session API (DESTROY; redeploy freely). */
export class RuntimeStack extends Stack {
  public readonly agent: AgentOrchestrator;
  public readonly tools: ToolWorkflow;
  /** The agent loop of background turns, unless the target turns them off (`background.enabled: false`). */
  public readonly loop?: AgentLoop;
  public readonly api: SessionApi;
  /** Where a wait for approval is announced (tools.approvalEmails subscribe to it). */
  public readonly approvalNotices: sns.Topic;
  /** The target's guardrails, by name (configuration `guardrails`). */
  public readonly guardrails: Readonly<Record<string, Guardrail>>;
  /** The dashboard and alarms of the target, notifying the operations alarms topic (operations.alarmEmails subscribe to it). */
  public readonly operations: Operations;

  constructor(scope: Construct, id: string, props: RuntimeStackProps) {
    super(scope, id, props);
    const { settings, foundation, state, fipsServices } = props;
    const network = foundation.network;

    // Guardrails are configuration (a published version), deployed with the runtime that applies them.
    const guardrailScope = new Construct(this, 'Guardrails');
    this.guardrails = Object.fromEntries(
      Object.entries(settings.guardrails).map(([name, guardrail]) => [name, new Guardrail(guardrailScope, name, { ...guardrail, encryptionKey: foundation.keys.data })]),
    );
    const { memoryModel, ...models } = settings.models(props.neuronEndpoint, this.guardrails);
    this.agent = new AgentOrchestrator(this, 'Agent', {
      sessions: state.sessions,
      vpc: network.vpc,
      subnets: network.subnets,
      logsKey: foundation.keys.logs,
      dataKey: foundation.keys.data,
      logRetention: props.logRetention,
      ...models,
      memory: {
        store: state.memory,
        model: memoryModel,
        embeddingModel: settings.memory.embeddingModel,
        exportRoles: settings.memory.exportRoles,
      },
      tenants: settings.tenants,
      limits: settings.limits,
      // The tools' declarations ship in the turn functions' bundle; the workflows' ARNs and the policy follow in their environment.
      tools: settings.tools,
      background: settings.background,
      streaming: settings.streaming.enabled,
      fipsServices,
    });
    if (settings.streaming.offBecause) Annotations.of(this).addWarningV2('statehouse:streaming-off', settings.streaming.offBecause);
    if (settings.streaming.gated && this.agent.streaming) {
      for (const capability of STREAMING_CAPABILITIES) requireCapability(this.agent.streaming, capability, 'streaming turns ("stream": true)');
    }

    // AC-5: approvers hear of a call that waits for them; the message is encrypted under the data key (SC-28).
    this.approvalNotices = new sns.Topic(this, 'ApprovalNotices', {
      topicName: `${settings.namePrefix}-approval-notices`,
      displayName: 'Statehouse approvals',
      masterKey: foundation.keys.data,
      enforceSSL: true,
    });
    for (const email of settings.approvalEmails) this.approvalNotices.addSubscription(new subscriptions.EmailSubscription(email));

    this.tools = new ToolWorkflow(this, 'Tools', {
      tools: settings.tools,
      policy: settings.toolPolicy,
      knowledgeBaseId: settings.knowledgeBaseId,
      namePrefix: settings.namePrefix,
      resumeTarget: this.agent.orchestratorFunction,
      sessions: state.sessions,
      referenceData: state.referenceData,
      vpc: network.vpc,
      subnets: network.subnets,
      logsKey: foundation.keys.logs,
      dataKey: foundation.keys.data,
      logRetention: props.logRetention,
      fipsServices,
      approvalNotices: this.approvalNotices,
    });
    this.agent.addEnvironment(this.tools.orchestratorEnvironment);
    for (const fn of this.agent.apiFunctions()) this.tools.grantOrchestration(fn.grantPrincipal);

    if (this.agent.rounds && this.agent.background) {
      // A background turn's rounds run fast tools themselves; its slow calls run in the loop.
      this.tools.fast.grantStartSync(this.agent.rounds.grantPrincipal);
      this.loop = new AgentLoop(this, 'Loop', {
        // The slow tools, run with the approval workflow's states, functions and approval wait.
        ...this.tools.slowCalls,
        stateMachineName: agentLoopMachineName(settings.namePrefix),
        roundFunction: this.agent.rounds.function,
        deadline: this.agent.background.deadline,
        encryptionKey: foundation.keys.data,
        logsKey: foundation.keys.logs,
        logGroupProps: { retention: props.logRetention },
      });
      this.agent.addAgentLoop(this.loop);
    }

    // The agency's own endpoints, by id: they live in its application VPCs, not in this kit.
    const admitted = new Construct(this, 'AdmittedEndpoints');
    const additionalEndpoints = settings.allowedVpcEndpoints.map((id) => ec2.InterfaceVpcEndpoint.fromInterfaceVpcEndpointAttributes(admitted, id, { vpcEndpointId: id, port: 443 }));
    this.api = new SessionApi(this, 'Api', {
      handler: this.agent.orchestrator.function,
      streamingHandler: this.agent.streaming?.function,
      // The configuration requires the endpoint (lib/config/load.ts); a fork without it gets the construct's own message.
      endpoint: network.interfaceEndpoints['execute-api'],
      additionalEndpoints,
      logsKey: foundation.keys.logs,
      logRetention: props.logRetention,
    });
    this.addApiOutputs();
    this.operations = this.addOperations(props);

    // What an operator (and `npm run deploy:local`) needs to find the runtime: logs, test invocations, executions.
    new CfnOutput(this, 'OrchestratorFunctionName', {
      value: this.agent.orchestrator.function.functionName,
      description: 'The orchestrator function: its environment names the session table, payload bucket and workflows',
    });
    new CfnOutput(this, 'FastToolsStateMachineArn', { value: this.tools.fastMachineArn, description: 'Express workflow of fast tools' });
    new CfnOutput(this, 'SlowToolsStateMachineArn', { value: this.tools.slowMachineArn, description: 'Standard workflow of slow and approval-gated tools' });
    new CfnOutput(this, 'ApprovalNoticesTopicArn', {
      value: this.approvalNotices.topicArn,
      description: 'SNS topic announcing each tool call that waits for approval: subscribe email, chat (Amazon Q Developer in chat applications) or a queue',
    });
    new CfnOutput(this, 'OperationsAlarmsTopicArn', {
      value: this.operations.topic.topicArn,
      description: 'SNS topic every operations alarm notifies (README, Operations): subscribe email, chat or a ticketing queue',
    });
    if (this.loop) new CfnOutput(this, 'AgentLoopStateMachineArn', { value: this.loop.stateMachineArn, description: 'Standard workflow of background turns (the agent loop)' });
  }

  /** SI-4: alarms on what fails a turn, under the logs key (its policy admits this target's alarms). */
  private addOperations(props: RuntimeStackProps): Operations {
    const { agent, tools, loop } = this;
    const turnFunctions = [agent.orchestrator, agent.streaming, agent.rounds].filter((fn): fn is PlatformFunction => fn !== undefined);
    const workflows: Record<string, WatchedWorkflow> = { 'fast-tools': tools.fast, 'slow-tools': tools.approval };
    if (loop) workflows['agent-loop'] = loop;
    return new Operations(this, 'Operations', {
      namePrefix: props.settings.namePrefix,
      encryptionKey: props.foundation.keys.logs,
      alarmEmails: props.settings.alarmEmails,
      sessions: props.state.sessions,
      apiFunction: agent.orchestrator,
      turnFunctions,
      functions: [...turnFunctions, agent.summarizer, ...(agent.memoryExtractor ? [agent.memoryExtractor] : []), tools.approvalWait, ...Object.values(tools.toolFunctions)],
      workflows,
      neuronEndpoint: props.neuronEndpoint,
      memory: agent.memoryExtractor && { extractor: agent.memoryExtractor, store: props.state.memory },
    });
  }

  /**
   * Where callers find the API, besides its private-DNS invoke URL (the
   * RestApi's own `ApiEndpoint…` output): the URL through each admitted
   * endpoint, and the endpoints the resource policy admits. Region and domain
   * come from the stack (`Aws.URL_SUFFIX`), so the URLs are right in every partition.
   */
  private addApiOutputs(): void {
    const [kit, ...configured] = this.api.admittedEndpoints;
    new CfnOutput(this, 'ApiUrlViaKitEndpoint', {
      value: this.api.urlThrough(kit),
      description: 'Session API invoke URL through the kit\'s execute-api endpoint (a Route 53 alias: resolves anywhere, answers where the endpoint is routable)',
    });
    for (const endpoint of configured) {
      new CfnOutput(this, `ApiUrlVia${endpointOutputId(endpoint.vpcEndpointId)}`, {
        value: this.api.urlThrough(endpoint),
        description: `Session API invoke URL through ${endpoint.vpcEndpointId} (api.allowedVpcEndpoints), for callers in that endpoint's VPC`,
      });
    }
    new CfnOutput(this, 'ApiVpcEndpoints', {
      value: Fn.join(',', this.api.admittedEndpoints.map((e) => e.vpcEndpointId)),
      description: 'VPC endpoints the API\'s resource policy admits (aws:SourceVpce): the kit\'s, then api.allowedVpcEndpoints; every other source is denied',
    });
  }
}

/** `vpce-0123456789abcdef0` → `Vpce0123456789abcdef0`: an output id (letters and digits) that names the endpoint. */
function endpointOutputId(vpcEndpointId: string): string {
  return vpcEndpointId.replace(/[^A-Za-z0-9]/g, '').replace(/^./, (c) => c.toUpperCase());
}
