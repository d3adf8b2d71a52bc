import { Stack, type StackProps } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { ReferenceData } from '../constructs/reference-data/reference-data';
import { SessionStore } from '../constructs/session-store/session-store';

export interface StateStackProps extends StackProps {
  readonly namePrefix: string;
  readonly dataKey: kms.IKey;
  readonly s3Endpoint: ec2.IGatewayVpcEndpoint;
  readonly accessLogsBucket: s3.IBucket;
}

/** Data of one target: the session table, the payload bucket and the tools' reference table (RETAIN). */
export class StateStack extends Stack {
  public readonly sessions: SessionStore;
  public readonly referenceData: ReferenceData;

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
  }
}
