/**
 * Measured output throughput of Llama 3 on Neuron instances, as data with its
 * source. Only these pairs have a figure; any other
 * (instance, model size) has none, and the estimate says so.
 */

export const MODEL_SIZES = ['8B', '70B'] as const;
export type ModelSize = (typeof MODEL_SIZES)[number];

export interface ThroughputFigure {
  readonly instanceType: string;
  readonly modelSize: ModelSize;
  readonly model: string;
  /** Output tokens per second of one instance; a range when the source gives one. */
  readonly outputTokensPerSecond: { readonly low: number; readonly high: number };
  readonly source: string;
}

const NEURON_BENCHMARKS = 'aws-neuron/aws-neuron-sdk about-neuron/benchmarks (Transformers-NeuronX, Neuron 2.18)';

export const NEURON_THROUGHPUT: readonly ThroughputFigure[] = [
  { instanceType: 'ml.inf2.48xlarge', modelSize: '8B', model: 'Llama-3-8B', outputTokensPerSecond: { low: 859, high: 859 }, source: NEURON_BENCHMARKS },
  { instanceType: 'ml.trn1.32xlarge', modelSize: '8B', model: 'Llama-3-8B', outputTokensPerSecond: { low: 1143, high: 1143 }, source: NEURON_BENCHMARKS },
  { instanceType: 'ml.inf2.48xlarge', modelSize: '70B', model: 'Llama-3-70B', outputTokensPerSecond: { low: 30, high: 30 }, source: NEURON_BENCHMARKS },
  { instanceType: 'ml.trn1.32xlarge', modelSize: '70B', model: 'Llama-3-70B', outputTokensPerSecond: { low: 120, high: 141 }, source: NEURON_BENCHMARKS },
];

export function throughputFigure(instanceType: string, modelSize: ModelSize): ThroughputFigure | undefined {
  return NEURON_THROUGHPUT.find((t) => t.instanceType === instanceType && t.modelSize === modelSize);
}
