import { Token, type IResolvable, type IResolveContext } from 'aws-cdk-lib';
import {
  FALLBACK_MAX_BATCH_SIZE,
  FALLBACK_MAX_SEQUENCE_LENGTH,
  MAX_SEQUENCE_LENGTH,
  MIN_SEQUENCE_LENGTH,
  MODEL_DIRECTORY,
  NEURON_SERVING_DEFAULTS,
  TGI_INPUT_SHARE,
} from './neuron-endpoint-defaults';
import type { NeuronInstanceType } from './neuron-instance-type';
import type { ModelServer } from './serving-image';

/** The precision the model is cast to on the NeuronCores. */
export enum NeuronDtype {
  BF16 = 'bf16',
  FP16 = 'fp16',
}

/** bf16: the Neuron default for LLM serving; keeps fp32's range at half the memory. */
export const DEFAULT_DTYPE = NeuronDtype.BF16;

/** Serving settings a caller may set; each unset one takes the instance size's default. */
export interface ServingOptions {
  /** NeuronCores one model copy is sharded over. @default per instance size (NEURON_SERVING_DEFAULTS) */
  readonly tensorParallelDegree?: number;
  /** Longest sequence, prompt and answer together (LMI `n_positions`, TGI `MAX_TOTAL_TOKENS`). @default per instance size */
  readonly maxSequenceLength?: number;
  /** Requests batched together (LMI rolling batch, TGI `MAX_BATCH_SIZE`). @default per instance size */
  readonly maxBatchSize?: number;
  /** TGI only: longest prompt. @default TGI_INPUT_SHARE of maxSequenceLength */
  readonly maxInputTokens?: number;
  /** @default NeuronDtype.BF16 */
  readonly dtype?: NeuronDtype;
}

/** Settings after defaults, as the container environment will carry them. */
export interface ServingSettings {
  readonly tensorParallelDegree: number;
  readonly maxSequenceLength: number;
  readonly maxBatchSize: number;
  /** Set for TGI only. */
  readonly maxInputTokens?: number;
  readonly dtype: NeuronDtype;
}

function known(value: number | undefined): value is number {
  return value !== undefined && !Token.isUnresolved(value);
}

function divisors(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1).filter((d) => n % d === 0);
}

/** Defaults for an instance size: its table row, or TP across every core for an `of()` type. */
export function servingDefaults(instanceType: NeuronInstanceType): Omit<ServingSettings, 'dtype' | 'maxInputTokens'> {
  const row = NEURON_SERVING_DEFAULTS[instanceType.name];
  return row
    ? { tensorParallelDegree: row.tensorParallelDegree, maxSequenceLength: row.maxSequenceLength, maxBatchSize: row.maxBatchSize }
    : { tensorParallelDegree: instanceType.neuronCores, maxSequenceLength: FALLBACK_MAX_SEQUENCE_LENGTH, maxBatchSize: FALLBACK_MAX_BATCH_SIZE };
}

/**
 * Merge the caller's options over the instance size's defaults and list every
 * combination the hardware or the server cannot run. Each problem names the
 * prop, the value, what is allowed and how to fix it; unresolved tokens are
 * not judged.
 */
export function resolveServingSettings(
  instanceType: NeuronInstanceType,
  server: ModelServer,
  options: ServingOptions,
): { settings: ServingSettings; problems: string[] } {
  const defaults = servingDefaults(instanceType);
  const tp = options.tensorParallelDegree ?? defaults.tensorParallelDegree;
  const sequence = options.maxSequenceLength ?? defaults.maxSequenceLength;
  const batch = options.maxBatchSize ?? defaults.maxBatchSize;
  const cores = instanceType.neuronCores;
  const problems: string[] = [];

  if (known(tp) && known(cores)) {
    if (!Number.isInteger(tp) || tp < 1) {
      problems.push(`tensorParallelDegree is ${tp}; it must be a whole number of at least 1. Use one of ${divisors(cores).join(', ')} on ${instanceType.name}.`);
    } else if (tp > cores) {
      problems.push(
        `tensorParallelDegree is ${tp}, but ${instanceType.name} has ${cores} NeuronCores; allowed: ${divisors(cores).join(', ')}. ` +
          'Lower the degree, or choose a larger instance type (e.g. NeuronInstanceType.INF2_48XLARGE with 24 cores).',
      );
    } else if (cores % tp !== 0) {
      problems.push(
        `tensorParallelDegree is ${tp}, which does not divide the ${cores} NeuronCores of ${instanceType.name} (cores would sit idle); ` +
          `allowed: ${divisors(cores).join(', ')}. Pick one of those.`,
      );
    }
  }
  if (known(batch) && (!Number.isInteger(batch) || batch < 1)) {
    problems.push(`maxBatchSize is ${batch}; it must be a whole number of at least 1. Use 1 for lowest latency, 4 to 8 for throughput.`);
  }
  if (known(sequence) && (!Number.isInteger(sequence) || sequence < MIN_SEQUENCE_LENGTH || sequence > MAX_SEQUENCE_LENGTH)) {
    problems.push(
      `maxSequenceLength is ${sequence}; it must be a whole number from ${MIN_SEQUENCE_LENGTH} to ${MAX_SEQUENCE_LENGTH}. ` +
        `The default for ${instanceType.name} is ${defaults.maxSequenceLength}.`,
    );
  }

  let maxInputTokens: number | undefined;
  if (server === 'tgi') {
    maxInputTokens = options.maxInputTokens ?? (known(sequence) ? Math.floor(sequence * TGI_INPUT_SHARE) : undefined);
    if (maxInputTokens === undefined) {
      problems.push('maxInputTokens is not set and maxSequenceLength is an unresolved token, so its default cannot be computed; set maxInputTokens explicitly.');
    } else if (known(maxInputTokens) && known(sequence) && (!Number.isInteger(maxInputTokens) || maxInputTokens < 1 || maxInputTokens >= sequence)) {
      problems.push(
        `maxInputTokens is ${maxInputTokens}, but it must be a whole number of at least 1 and below maxSequenceLength (MAX_TOTAL_TOKENS, ${sequence}), ` +
          `or TGI has no room to answer. Lower it, e.g. to ${Math.floor(sequence * TGI_INPUT_SHARE)}, or raise maxSequenceLength.`,
      );
    }
  } else if (options.maxInputTokens !== undefined) {
    problems.push(
      `maxInputTokens is ${options.maxInputTokens}, but only the TGI server reads it; LMI bounds the prompt with maxSequenceLength (n_positions). ` +
        'Remove maxInputTokens, or serve with ServingImage.tgiNeuronx().',
    );
  }

  return {
    settings: { tensorParallelDegree: tp, maxSequenceLength: sequence, maxBatchSize: batch, maxInputTokens, dtype: options.dtype ?? DEFAULT_DTYPE },
    problems,
  };
}

/**
 * The container environment for each model server (LMI: docs.djl.ai "LMI
 * Container Configurations"; TGI: Hugging Face optimum-neuron "TGI on
 * Inferentia2" docs). The model is always the S3 prefix SageMaker copied into
 * MODEL_DIRECTORY: nothing is pulled from a public hub.
 */
export function servingEnvironment(server: ModelServer, settings: ServingSettings): Record<string, string> {
  // Environment values are strings: a number known only at synth time is rendered as one too.
  const str = (n: number) => (Token.isUnresolved(n) ? Token.asString(numberAsString(n)) : String(n));
  if (server === 'lmi') {
    return {
      OPTION_MODEL_ID: MODEL_DIRECTORY,
      OPTION_TENSOR_PARALLEL_DEGREE: str(settings.tensorParallelDegree),
      OPTION_N_POSITIONS: str(settings.maxSequenceLength),
      OPTION_DTYPE: settings.dtype,
      OPTION_ROLLING_BATCH: 'auto',
      OPTION_MAX_ROLLING_BATCH_SIZE: str(settings.maxBatchSize),
    };
  }
  return {
    HF_MODEL_ID: MODEL_DIRECTORY,
    HF_NUM_CORES: str(settings.tensorParallelDegree),
    HF_AUTO_CAST_TYPE: settings.dtype,
    MAX_BATCH_SIZE: str(settings.maxBatchSize),
    MAX_INPUT_TOKENS: str(settings.maxInputTokens!),
    MAX_TOTAL_TOKENS: str(settings.maxSequenceLength),
  };
}

/** A number token that resolves to its decimal string (or to the intrinsic it stands for). */
function numberAsString(n: number): IResolvable {
  return {
    creationStack: [],
    resolve: (context: IResolveContext) => {
      const resolved: unknown = context.resolve(n);
      return typeof resolved === 'number' ? String(resolved) : resolved;
    },
  };
}
