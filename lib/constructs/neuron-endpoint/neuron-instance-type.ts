import { Token } from 'aws-cdk-lib';

const INF2_ARCH = 'awsdocs-neuron Inferentia2 architecture: 2 NeuronCore-v2 and 32 GiB HBM per chip; Inf2 instance sizes 1/1/6/12 chips';
const TRN1_ARCH = 'awsdocs-neuron Trainium architecture: 2 NeuronCore-v2 and 32 GiB per chip; trn1.2xlarge 1 chip, trn1.32xlarge 16 chips';
const TRN2_ARCH =
  'awsdocs-neuron Trainium2 architecture and Logical NeuronCore configuration: 16 chips x 8 physical NeuronCore-v3 (128) and 96 GiB HBM each; ' +
  'the default LNC=2 exposes 64 logical NeuronCores, the unit the serving stack shards over';

const EC2_STORAGE =
  'Amazon EC2 instance types, accelerated computing (instance storage): inf2 EBS only; trn1.2xlarge 1 NVMe SSD, trn1.32xlarge 4 x 1900 GB NVMe SSD, trn2.48xlarge 4 NVMe SSD';

/** `ml.<family><generation><suffix>.<size>`, e.g. ml.inf2.xlarge, ml.trn1n.32xlarge, ml.trn2.48xlarge. */
const NEURON_INSTANCE_NAME = /^ml\.(inf|trn)\d+[a-z]*\.(\d*xlarge|large)$/;

/**
 * A SageMaker hosting instance type with AWS Neuron accelerators, and what
 * the serving stack shards over: its NeuronCores (for Trn2, the logical
 * NeuronCores at the default LNC=2).
 */
export class NeuronInstanceType {
  public static readonly INF2_XLARGE = new NeuronInstanceType('ml.inf2.xlarge', 2, 32, false, `${INF2_ARCH}; ${EC2_STORAGE}`);
  public static readonly INF2_8XLARGE = new NeuronInstanceType('ml.inf2.8xlarge', 2, 32, false, `${INF2_ARCH}; ${EC2_STORAGE}`);
  public static readonly INF2_24XLARGE = new NeuronInstanceType('ml.inf2.24xlarge', 12, 192, false, `${INF2_ARCH}; ${EC2_STORAGE}`);
  public static readonly INF2_48XLARGE = new NeuronInstanceType('ml.inf2.48xlarge', 24, 384, false, `${INF2_ARCH}; ${EC2_STORAGE}`);
  public static readonly TRN1_2XLARGE = new NeuronInstanceType('ml.trn1.2xlarge', 2, 32, true, `${TRN1_ARCH}; ${EC2_STORAGE}`);
  public static readonly TRN1_32XLARGE = new NeuronInstanceType('ml.trn1.32xlarge', 32, 512, true, `${TRN1_ARCH}; ${EC2_STORAGE}`);
  /** 64 logical NeuronCores (128 physical NeuronCore-v3 at LNC=2), 1,536 GiB HBM. */
  public static readonly TRN2_48XLARGE = new NeuronInstanceType('ml.trn2.48xlarge', 64, 1536, true, `${TRN2_ARCH}; ${EC2_STORAGE}`);

  /** Every type with a static member, in the order of region-facts' NEURON_INSTANCE_TYPES. */
  public static readonly KNOWN: readonly NeuronInstanceType[] = [
    NeuronInstanceType.TRN1_2XLARGE,
    NeuronInstanceType.TRN1_32XLARGE,
    NeuronInstanceType.TRN2_48XLARGE,
    NeuronInstanceType.INF2_XLARGE,
    NeuronInstanceType.INF2_8XLARGE,
    NeuronInstanceType.INF2_24XLARGE,
    NeuronInstanceType.INF2_48XLARGE,
  ];

  /**
   * An instance type this class has no member for (a new size or family).
   * `neuronCores` is what the model server shards over; for Trainium2 and
   * later, the logical NeuronCores at the LNC setting you run.
   * `instanceStorage`: the type has NVMe instance store instead of an EBS
   * volume (check with `aws ec2 describe-instance-types --instance-types <type>
   * --query "InstanceTypes[].InstanceStorageSupported"`); SageMaker then
   * refuses a KMS key for the volume. A name with a member returns the member.
   */
  public static of(name: string, neuronCores: number, acceleratorMemoryGiB?: number, instanceStorage = false): NeuronInstanceType {
    if (!NEURON_INSTANCE_NAME.test(name)) {
      throw new Error(
        `NeuronInstanceType.of: name "${name}" is not a SageMaker Neuron instance type. ` +
          'Expected "ml.<inf|trn><generation>.<size>", e.g. "ml.inf2.xlarge" or "ml.trn1.32xlarge"; GPU and CPU types belong to another construct.',
      );
    }
    if (!Token.isUnresolved(neuronCores) && (!Number.isInteger(neuronCores) || neuronCores < 1)) {
      throw new Error(`NeuronInstanceType.of(${name}): neuronCores must be a whole number of at least 1 (got ${neuronCores}).`);
    }
    const known = NeuronInstanceType.KNOWN.find((t) => t.name === name);
    if (known && known.neuronCores !== neuronCores) {
      throw new Error(
        `NeuronInstanceType.of(${name}): ${name} has ${known.neuronCores} NeuronCores (${known.source}), not ${neuronCores}. ` +
          `Use NeuronInstanceType.${NeuronInstanceType.memberName(name)} instead.`,
      );
    }
    return known ?? new NeuronInstanceType(name, neuronCores, acceleratorMemoryGiB, instanceStorage, 'NeuronInstanceType.of() (caller-supplied)');
  }

  private static memberName(name: string): string {
    return name.replace(/^ml\./, '').replace('.', '_').toUpperCase();
  }

  private constructor(
    /** The SageMaker instance type, e.g. `ml.inf2.xlarge`. */
    public readonly name: string,
    /** NeuronCores the model server can shard over (logical cores for Trn2 at LNC=2). */
    public readonly neuronCores: number,
    /** Accelerator (HBM) memory of the whole instance, in GiB, when known. */
    public readonly acceleratorMemoryGiB: number | undefined,
    /**
     * NVMe instance store instead of an EBS volume: encrypted by the instance's
     * hardware, and SageMaker refuses a KmsKeyId for it.
     */
    public readonly instanceStorage: boolean,
    /** Where the core, memory and storage figures come from. */
    public readonly source: string,
  ) {}

  /** `inf2`, `trn1`, `trn2`, or the family an `of()` name carries (`trn1n`). */
  public get family(): string {
    return this.name.split('.')[1];
  }

  public toString(): string {
    return this.name;
  }
}
