import * as fs from 'node:fs';
import * as path from 'node:path';
import { Annotations, Stage, Validations, type StageProps } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { dataResourcePrefix, targetPrefix, trailName } from '../config/naming';
import type { TargetConfig } from '../config/schema';
import { serviceControlPolicy } from '../residency/policies';
import { ResidencyGuard } from '../residency/residency-guard';
import { FoundationStack } from './foundation-stack';
import { InferenceStack } from './inference-stack';
import { RuntimeStack } from './runtime-stack';
import { StateStack } from './state-stack';

export interface StatehouseStageProps extends StageProps {
  readonly target: TargetConfig;
}

/** File written next to the target's templates for the organization admin to attach. */
export const SCP_FILE_NAME = 'residency-scp.json';

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

  constructor(scope: Construct, id: string, props: StatehouseStageProps) {
    super(scope, id, { ...props, env: { account: props.target.account, region: props.target.region } });
    const { target } = props;
    const logRetention = target.logRetentionDays as RetentionDays;

    this.foundation = new FoundationStack(this, 'Foundation', {
      targetName: id,
      target,
      logRetention,
      description: `Statehouse ${id}: keys, isolated network, audit trail, permissions boundary (RETAIN)`,
      terminationProtection: target.terminationProtection,
    });

    this.state = new StateStack(this, 'State', {
      namePrefix: dataResourcePrefix(id),
      dataKey: this.foundation.keys.data,
      s3Endpoint: this.foundation.network.s3Endpoint,
      accessLogsBucket: this.foundation.audit.accessLogsBucket,
      modelWeights: target.neuron !== undefined,
      description: `Statehouse ${id}: session table, payload bucket${target.neuron ? ', reference table and model weights bucket' : ' and reference table'} (RETAIN)`,
      terminationProtection: target.terminationProtection,
    });

    if (target.neuron && this.state.weights) {
      this.inference = new InferenceStack(this, 'Inference', {
        targetName: id,
        neuron: target.neuron,
        foundation: this.foundation,
        weightsBucketName: this.state.weights.bucketName,
        logRetention,
        description: `Statehouse ${id}: Neuron inference endpoint ${target.neuron.endpointName} on ${target.neuron.instanceType} (stateless)`,
      });
      // The endpoint names the bucket rather than referencing it: deploy the bucket first.
      this.inference.addStackDependency(this.state, 'the endpoint loads its weights from the State stack\'s bucket');
      const used = [target.model, target.summarizerModel].some((m) => m?.kind === 'neuron');
      if (!used) {
        // An endpoint bills by the hour whether or not anything calls it.
        Annotations.of(this.inference).addWarningV2(
          'statehouse:neuron-endpoint-unused',
          `targets.${id}.neuron deploys endpoint ${target.neuron.endpointName}, but neither model nor summarizerModel has kind "neuron": it would run (and bill) unused. Set model or summarizerModel to {"kind":"neuron"}, or remove neuron.`,
        );
      }
    }

    this.runtime = new RuntimeStack(this, 'Runtime', {
      target,
      namePrefix: targetPrefix(id),
      foundation: this.foundation,
      state: this.state,
      neuronEndpoint: this.inference?.endpoint,
      logRetention,
      description: `Statehouse ${id}: orchestrator, summarizer, tool workflows and session API (stateless)`,
    });
    // The orchestrator's grant names the endpoint without a reference to it: deploy the endpoint first.
    if (this.inference) this.runtime.addStackDependency(this.inference, 'the orchestrator calls the Neuron endpoint');

    this.foundation.boundary.applyTo(this);
    Validations.of(this).addPlugins(new ResidencyGuard(target.residency));
    this.writeServiceControlPolicy(id, target);
  }

  private writeServiceControlPolicy(id: string, target: TargetConfig): void {
    const scp = serviceControlPolicy({
      residency: target.residency,
      partition: this.foundation.partition,
      account: target.account ?? '*',
      trailName: trailName(id),
    });
    fs.mkdirSync(this.outdir, { recursive: true });
    fs.writeFileSync(path.join(this.outdir, SCP_FILE_NAME), JSON.stringify(scp, null, 2) + '\n');
  }
}
