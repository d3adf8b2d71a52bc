import { TimeZone } from 'aws-cdk-lib';
import { ConfigError } from '../../config/load';
import type { NeuronConfig } from '../../config/schema';
import { ScalingSchedule, ScalingScheduleError } from './endpoint-scaling';
import { NeuronEndpointPropsError, type NeuronEndpointProps } from './neuron-endpoint';
import { NeuronInstanceType } from './neuron-instance-type';
import { ServingImage } from './serving-image';

/**
 * What a target's `neuron` configuration stands for in NeuronEndpoint props.
 * Fields the configuration leaves out stay undefined, so the construct's own
 * defaults (neuron-endpoint-defaults.ts) apply: one place for each default.
 */
export interface NeuronEndpointSettings
  extends Pick<NeuronEndpointProps, 'endpointName' | 'instanceType' | 'image' | 'tensorParallelDegree' | 'maxSequenceLength' | 'maxBatchSize' | 'minCapacity' | 'maxCapacity'> {
  readonly scalingSchedule: ScalingSchedule;
}

/**
 * The endpoint props of a target's `neuron` configuration.
 * @throws ScalingScheduleError when the working hours cannot run (see `neuronConfigError`).
 */
export function neuronEndpointSettings(neuron: NeuronConfig): NeuronEndpointSettings {
  const instanceType = NeuronInstanceType.KNOWN.find((t) => t.name === neuron.instanceType);
  if (!instanceType) {
    throw new Error(
      `neuron.instanceType "${neuron.instanceType}" is in region facts' NEURON_INSTANCE_TYPES but has no NeuronInstanceType member; ` +
        'add the member (its NeuronCores and storage, with the source) to neuron-instance-type.ts.',
    );
  }
  const hours = neuron.workingHours ?? {};
  return {
    endpointName: neuron.endpointName,
    instanceType,
    image: neuron.server === 'tgi' ? ServingImage.tgiNeuronx(neuron.imageTag) : ServingImage.lmiNeuronx(neuron.imageTag),
    tensorParallelDegree: neuron.tensorParallelDegree,
    maxSequenceLength: neuron.maxSequenceLength,
    maxBatchSize: neuron.maxBatchSize,
    minCapacity: neuron.minCapacity,
    maxCapacity: neuron.maxCapacity,
    scalingSchedule:
      neuron.schedule === 'always-on'
        ? ScalingSchedule.alwaysOn()
        : ScalingSchedule.workingHours({ ...hours, timeZone: hours.timeZone === undefined ? undefined : TimeZone.of(hours.timeZone) }),
  };
}

/**
 * The construct's and the schedule's validation, reported against the
 * configuration at `at` (`targets.GovWest.neuron`): their problems name the
 * prop, which is also the field (`tensorParallelDegree`, `maxCapacity`;
 * `startHour`, `workdays` under `workingHours`). Any other error is returned
 * as it is.
 */
export function neuronConfigError(error: unknown, at: string): unknown {
  if (error instanceof ScalingScheduleError) return new ConfigError(error.problems.map((message) => ({ path: `${at}.workingHours`, message })));
  if (error instanceof NeuronEndpointPropsError) return new ConfigError(error.problems.map((message) => ({ path: at, message })));
  return error;
}
