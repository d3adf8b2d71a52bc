import { Stack, type StackProps } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { MemorySettings } from '../contract/memory-table';
import { MemoryStore } from '../constructs/memory-store/memory-store';
import { ModelWeights } from '../constructs/model-weights/model-weights';
import { ReferenceData } from '../constructs/reference-data/reference-data';
import { SessionStore } from '../constructs/session-store/session-store';

export interface StateStackProps extends StackProps {
  readonly namePrefix: string;
  readonly dataKey: kms.IKey;
  readonly s3Endpoint: ec2.IGatewayVpcEndpoint;
  readonly accessLogsBucket: s3.IBucket;
  /** Add the bucket the Neuron endpoint loads its weights from (the target has `neuron`). @default false */
  readonly modelWeights?: boolean;
  /** Retention per kind and the cap per person the memory store's functions get. @default MEMORY_DEFAULTS */
  readonly memorySettings?: MemorySettings;
}

/** Data of one target: the session table, the payload bucket, the memory table, the tools' reference table and, with a Neuron endpoint, the model weights (RETAIN). */
export class StateStack extends Stack {
  public readonly sessions: SessionStore;
  /** What agents learned about each person across sessions: always here (empty and free until an agent has memory on). */
  public readonly memory: MemoryStore;
  public readonly referenceData: ReferenceData;
  /** Only when `modelWeights` is set. */
  public readonly weights?: ModelWeights;

  constructor(scope: Construct, id: string, props: StateStackProps) {
    super(scope, id, props);
    this.sessions = new SessionStore(this, 'Sessions', {
      namePrefix: props.namePrefix,
      dataKey: props.dataKey,
      s3Endpoint: props.s3Endpoint,
      accessLogsBucket: props.accessLogsBucket,
    });
    this.referenceData = new ReferenceData(this, 'Reference', {
      namePrefix: props.namePrefix,
      dataKey: props.dataKey,
      backupPlan: this.sessions.backupPlan,
    });
    this.memory = new MemoryStore(this, 'Memory', {
      namePrefix: props.namePrefix,
      dataKey: props.dataKey,
      backupPlan: this.sessions.backupPlan,
      settings: props.memorySettings,
    });
    // The Runtime stack imports the table's name for whichever tools use it; an export in use cannot be
    // removed, so it stays exported even when a change of tools leaves no importer for a deploy.
    this.exportValue(this.referenceData.tableName);
    if (props.modelWeights) {
      this.weights = new ModelWeights(this, 'Weights', {
        namePrefix: props.namePrefix,
        dataKey: props.dataKey,
        accessLogsBucket: props.accessLogsBucket,
      });
    }
  }
}
