import { Annotations, Stage, Validations, type StageProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { serviceControlPolicy } from '../residency/policies';
import { ResidencyGuard } from '../residency/residency-guard';
import { FoundationStack } from './foundation-stack';
import { InferenceStack } from './inference-stack';
import { RuntimeStack } from './runtime-stack';
import { StateStack } from './state-stack';
import type { TargetStacksProps } from './target-props';

export interface StatehouseStageProps extends StageProps {
  /** What the target's stacks are built from: `targetStacksProps(name, target)` of a parsed configuration, or your own. */
  readonly settings: TargetStacksProps;
}

/**
 * One deployment target (`Commercial`, `GovWest`, ...): its stacks, the
 * permissions boundary on every role, and the residency guard on every
 * template. The Inference stack exists only when the target sets `neuron`.
 */
export class StatehouseStage extends Stage {
  public readonly foundation: FoundationStack;
  public readonly state: StateStack;
  /** The target's Neuron endpoint; only when it sets `neuron`. */
  public readonly inference?: InferenceStack;
  public readonly runtime: RuntimeStack;
  /** What the stacks were built from (lib/stacks/target-props.ts). */
  public readonly settings: TargetStacksProps;

  constructor(scope: Construct, id: string, props: StatehouseStageProps) {
    super(scope, id, { ...props, env: props.settings.env });
    const settings = props.settings;
    this.settings = settings;
    const { logRetention } = settings;

    this.foundation = new FoundationStack(this, 'Foundation', {
      settings: settings.foundation,
      residency: settings.residency,
      fipsServices: settings.fipsServices,
      logRetention,
      description: `Statehouse ${id}: keys, isolated network, audit trail, permissions boundary (RETAIN)`,
      terminationProtection: settings.terminationProtection,
    });

    this.state = new StateStack(this, 'State', {
      namePrefix: settings.state.namePrefix,
      dataKey: this.foundation.keys.data,
      s3Endpoint: this.foundation.network.s3Endpoint,
      accessLogsBucket: this.foundation.audit.accessLogsDestination,
      modelWeights: settings.state.modelWeights,
      memorySettings: settings.state.memorySettings,
      description: `Statehouse ${id}: session table, payload bucket${settings.state.modelWeights ? ', reference table and model weights bucket' : ' and reference table'} (RETAIN)`,
      terminationProtection: settings.terminationProtection,
    });

    const inference = settings.inference;
    if (inference && this.state.weights) {
      const endpoint = inference.endpoint;
      this.inference = new InferenceStack(this, 'Inference', {
        settings: inference,
        foundation: this.foundation,
        weightsBucketName: this.state.weights.bucketName,
        logRetention,
        description: `Statehouse ${id}: Neuron inference endpoint ${endpoint.endpointName} on ${endpoint.instanceType.name} (stateless)`,
      });
      // The endpoint names the bucket rather than referencing it: deploy the bucket first.
      this.inference.addStackDependency(this.state, 'the endpoint loads its weights from the State stack\'s bucket');
      if (inference.unused) {
        // An endpoint bills by the hour whether or not anything calls it.
        Annotations.of(this.inference).addWarningV2(
          'statehouse:neuron-endpoint-unused',
          `${inference.configPath} deploys endpoint ${endpoint.endpointName}, but neither model nor summarizerModel has kind "neuron": it would run (and bill) unused. Set model or summarizerModel to {"kind":"neuron"}, or remove neuron.`,
        );
      }
    }

    this.runtime = new RuntimeStack(this, 'Runtime', {
      settings: settings.runtime,
      fipsServices: settings.fipsServices,
      foundation: this.foundation,
      state: this.state,
      neuronEndpoint: this.inference?.endpoint,
      logRetention,
      description: `Statehouse ${id}: orchestrator, summarizer, tool workflows and session API (stateless)`,
    });
    // The orchestrator's grant names the endpoint without a reference to it: deploy the endpoint first.
    if (this.inference) this.runtime.addStackDependency(this.inference, 'the orchestrator calls the Neuron endpoint');

    this.foundation.boundary.applyTo(this);
    Validations.of(this).addPlugins(new ResidencyGuard(settings.residency));
  }

  /**
   * The SCP document for the organization's admin to attach (the kit never
   * deploys SCPs): region deny, inference-profile deny, protection of the
   * trail. bin/ writes it next to the templates (lib/stacks/target-files.ts).
   */
  public get serviceControlPolicy(): Record<string, unknown> {
    return serviceControlPolicy({
      residency: this.settings.residency,
      partition: this.foundation.partition,
      account: this.settings.serviceControlPolicy.account,
      trailName: this.settings.serviceControlPolicy.trailName,
    });
  }
}
