import { Stack, type StackProps } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { TargetConfig } from '../config/schema';
import { AgentOrchestrator } from '../constructs/agent-orchestrator/agent-orchestrator';
import { modelWiring } from '../constructs/agent-orchestrator/model-wiring';
import { SessionApi } from '../constructs/session-api/session-api';
import { fipsHostServices } from '../residency/region-facts';
import type { FoundationStack } from './foundation-stack';
import type { StateStack } from './state-stack';

export interface RuntimeStackProps extends StackProps {
  readonly target: TargetConfig;
  readonly foundation: FoundationStack;
  readonly state: StateStack;
  readonly logRetention: logs.RetentionDays;
}

/** Stateless compute of one target: orchestrator, summarizer and the session API (DESTROY; redeploy freely). */
export class RuntimeStack extends Stack {
  public readonly agent: AgentOrchestrator;
  public readonly api: SessionApi;

  constructor(scope: Construct, id: string, props: RuntimeStackProps) {
    super(scope, id, props);
    const { target, foundation, state } = props;
    const network = foundation.network;

    const tenants: Record<string, string> = {};
    for (const [tenant, roles] of Object.entries(target.tenants)) for (const role of roles) tenants[role] = tenant;

    this.agent = new AgentOrchestrator(this, 'Agent', {
      sessions: state.sessions,
      vpc: network.vpc,
      subnets: network.subnets,
      logsKey: foundation.keys.logs,
      dataKey: foundation.keys.data,
      logRetention: props.logRetention,
      model: modelWiring(this, target.model, target.residency),
      tenants,
      settings: target.session,
      fipsServices: target.residency.fips ? fipsHostServices(target.region) : [],
    });

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
  }
}
