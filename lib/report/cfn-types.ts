/**
 * The shapes of the synthesized artifacts the evidence report reads. They are
 * loose on purpose: templates are JSON written by CDK, and the report must
 * describe whatever a fork puts in them.
 */

/** Any CloudFormation value: a literal, a list, an object or an intrinsic function. */
export type CfnValue = unknown;

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, any>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly DependsOn?: string | string[];
  readonly Metadata?: Record<string, any>;
}

export interface CfnOutput {
  readonly Value: CfnValue;
  readonly Export?: { readonly Name: CfnValue };
  readonly Description?: string;
}

export interface CfnTemplate {
  readonly Resources?: Record<string, CfnResource>;
  readonly Outputs?: Record<string, CfnOutput>;
  readonly Parameters?: Record<string, unknown>;
}

/** An IAM policy statement as CDK writes it. */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect?: string;
  readonly Principal?: CfnValue;
  readonly NotPrincipal?: CfnValue;
  readonly Action?: CfnValue;
  readonly NotAction?: CfnValue;
  readonly Resource?: CfnValue;
  readonly NotResource?: CfnValue;
  readonly Condition?: Record<string, Record<string, CfnValue>>;
}

export interface PolicyDocument {
  readonly Statement?: PolicyStatement[];
}

/** One construct metadata entry of `<stack>.metadata.json`. */
export interface MetadataEntry {
  readonly type: string;
  readonly data?: unknown;
  readonly trace?: string[];
}
