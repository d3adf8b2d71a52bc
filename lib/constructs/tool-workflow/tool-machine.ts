import { Arn, ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct, type IConstruct } from 'constructs';
import { TOOL_NAME_PATTERN, type ToolDeclaration } from '../../contract/tool-declaration';
import { acknowledge, acknowledgeWildcardResource } from '../../compliance/acknowledge';
import { mergeProps } from '../merge-props';
import type { IReferenceData } from '../reference-data/reference-data';
import type { ToolTarget } from './tool-states';
import {
  WORKFLOW_INCLUDE_EXECUTION_DATA,
  WORKFLOW_LOG_LEVEL,
  WORKFLOW_LOG_REMOVAL_POLICY,
  WORKFLOW_LOG_RETENTION,
  WORKFLOW_TRACING,
} from './tool-workflow-defaults';

/**
 * What the fast and the approval workflow share: a state machine with a
 * fixed name that runs declared tools. Grants and metrics need only the ARN
 * (and the key of the execution data), so an imported workflow has them too.
 */
export interface IToolMachine extends IConstruct {
  readonly stateMachineArn: string;
  readonly stateMachineName: string;
  /** SC-28: the customer-managed key of the execution data, when the machine has one. */
  readonly encryptionKey?: kms.IKey;
  /** A metric of this machine in the AWS/States namespace. */
  metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Executions that failed. A tool's failure is not one (it is a ToolRunOutput); any rise is a workflow fault. */
  metricFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Executions that ran past the machine's own timeout. */
  metricTimedOut(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Execution time in milliseconds (average). */
  metricDuration(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
}

/** Attributes of a tool workflow deployed elsewhere. */
export interface ToolMachineAttributes {
  readonly stateMachineArn: string;
  /** The key of its execution data: callers are granted its use for this machine only. @default none (an AWS-owned key) */
  readonly encryptionKey?: kms.IKey;
}

/** Which machine a workflow construct stands for: its name, its ARN and the key of its execution data. */
export interface ToolMachineIdentity {
  readonly stateMachineArn: string;
  readonly stateMachineName: string;
  readonly encryptionKey?: kms.IKey;
}

/** The identity of a machine deployed elsewhere, from its attributes. */
export function importedMachine(attrs: ToolMachineAttributes): ToolMachineIdentity {
  return { stateMachineArn: attrs.stateMachineArn, stateMachineName: stateMachineNameOf(attrs.stateMachineArn), encryptionKey: attrs.encryptionKey };
}

/** The identity of a machine created in the stack of `scope`: the ARN is built from the fixed name, not referenced. */
export function createdMachine(scope: Construct, props: Pick<ToolMachineProps, 'stateMachineName' | 'encryptionKey'>): ToolMachineIdentity {
  return { stateMachineArn: stateMachineArnOf(scope, props.stateMachineName), stateMachineName: props.stateMachineName, encryptionKey: props.encryptionKey };
}

export abstract class ToolMachineBase extends Construct implements IToolMachine {
  public readonly stateMachineArn: string;
  public readonly stateMachineName: string;
  public readonly encryptionKey?: kms.IKey;
  /** Grantees whose wildcard on this machine's executions is acknowledged: a second grant (Describe, then Stop) needs no second entry. */
  private readonly executionGrantees = new Set<IConstruct>();

  protected constructor(scope: Construct, id: string, identity: ToolMachineIdentity) {
    super(scope, id);
    this.stateMachineArn = identity.stateMachineArn;
    this.stateMachineName = identity.stateMachineName;
    this.encryptionKey = identity.encryptionKey;
  }

  public metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/States',
      metricName,
      dimensionsMap: { StateMachineArn: this.stateMachineArn },
      statistic: 'Sum',
      period: Duration.minutes(1),
      ...props,
    });
  }

  public metricFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ExecutionsFailed', props);
  }

  public metricTimedOut(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ExecutionsTimedOut', props);
  }

  public metricDuration(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ExecutionTime', { statistic: 'Average', ...props });
  }

  /** `actions` on this machine (or `resourceArns`), and the use of its key that the actions need. */
  protected grantOnMachine(grantee: iam.IGrantable, actions: string[], resourceArns: string[] = [this.stateMachineArn]): iam.Grant {
    const grant = iam.Grant.addToPrincipal({ grantee, actions, resourceArns });
    if (this.encryptionKey) {
      // SC-28: starting, reading or answering an execution of a machine under a customer-managed key uses that key, for this machine only.
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resourceArns: [this.encryptionKey.keyArn],
        conditions: { StringEquals: { 'kms:EncryptionContext:aws:states:stateMachineArn': this.stateMachineArn } },
      });
    }
    return grant;
  }

  /**
   * `actions` on this machine's executions (`execution:<name>:*`), and the
   * key. Execution names are made at run time, so the wildcard is
   * acknowledged on the grantee, once, with `reason`.
   */
  protected grantOnExecutions(grantee: iam.IGrantable, actions: string[], reason: string): iam.Grant {
    const executions = Stack.of(this).formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${this.stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const grant = this.grantOnMachine(grantee, actions, [executions]);
    const principal = grantee.grantPrincipal;
    if (Construct.isConstruct(principal) && !this.executionGrantees.has(principal)) {
      acknowledgeWildcardResource(principal, executions, reason);
      this.executionGrantees.add(principal);
    }
    return grant;
  }
}

/** The props both workflows take. */
export interface ToolMachineProps {
  /** The machine's fixed name: callers name it by ARN built from it, so no reference (and no cycle) is needed. */
  readonly stateMachineName: string;
  /** The tools this machine runs, one `Run <name>` Task each. */
  readonly tools: readonly ToolDeclaration[];
  /** The function of each `lambda` tool in `tools`, by tool name. @default none (then `tools` has no `lambda` tool) */
  readonly toolFunctions?: Readonly<Record<string, lambda.IFunction>>;
  /** The reference table the `dynamodb-get-item` tools read. @default none (then `tools` has no such tool) */
  readonly referenceData?: IReferenceData;
  /** SC-28: encrypts execution input, output and state data. */
  readonly encryptionKey: kms.IKey;
  /** AU-9, AU-11: where the execution history goes. @default a new log group `Logs` under `logsKey` */
  readonly logGroup?: logs.ILogGroup;
  /** Encrypts the log group the workflow creates; required without `logGroup`. */
  readonly logsKey?: kms.IKey;
  /**
   * Your own settings for the log group the workflow creates, merged over the
   * defaults (WORKFLOW_LOG_RETENTION, RETAIN). The key is always `logsKey`.
   * @default the defaults
   */
  readonly logGroupProps?: Partial<logs.LogGroupProps>;
  /**
   * Your own state machine settings, merged over the defaults (WORKFLOW_TRACING),
   * e.g. `{ tracingEnabled: false }` or a `timeout`. The name, type, definition,
   * encryption and logging (level ALL with execution data) are the workflow's and always win.
   * @default the defaults
   */
  readonly stateMachineProps?: Partial<sfn.StateMachineProps>;
}

/** Checks what every tool of a workflow needs: a valid, unique name; its function or the reference data. */
export function validateTools(scope: Construct, props: ToolMachineProps): void {
  const seen = new Set<string>();
  for (const tool of props.tools) {
    if (!TOOL_NAME_PATTERN.test(tool.name)) {
      throw new Error(`${scope.node.path}: tool name ${JSON.stringify(tool.name)} must match ${TOOL_NAME_PATTERN} (the name the model calls).`);
    }
    if (seen.has(tool.name)) throw new Error(`${scope.node.path}: tool "${tool.name}" is declared twice in tools; declare each tool once.`);
    seen.add(tool.name);
    if (tool.implementation.kind === 'lambda' && !props.toolFunctions?.[tool.name]) {
      throw new Error(`${scope.node.path}: tool "${tool.name}" runs a Lambda function, but toolFunctions has none under "${tool.name}"; pass its function there.`);
    }
    if (tool.implementation.kind === 'dynamodb-get-item' && !props.referenceData) {
      throw new Error(`${scope.node.path}: tool "${tool.name}" reads the reference table (dynamodb-get-item); pass referenceData.`);
    }
  }
}

/** What runs `tool`: its function, or the reference data for a GetItem tool. */
export function targetOf(props: Pick<ToolMachineProps, 'toolFunctions' | 'referenceData'>, tool: ToolDeclaration): ToolTarget {
  return { function: props.toolFunctions?.[tool.name], referenceData: props.referenceData };
}

/**
 * The state machine of a tool workflow: defaults → `stateMachineProps` →
 * what the workflow requires. The tool workflows' id is `Default`, not
 * `Resource`, so that the machine (its name is fixed) and its role keep the
 * logical ids they had before the workflows became constructs of their own:
 * a changed id would replace the machine, and a replacement with the same
 * name fails. A machine that never had another id (the AgentLoop) passes `Resource`.
 */
export function toolStateMachine(
  scope: Construct,
  props: ToolMachineProps,
  type: sfn.StateMachineType,
  definition: sfn.IChainable,
  invokedFunctions: readonly lambda.IFunction[],
  id = 'Default',
): sfn.StateMachine {
  const logGroup = props.logGroup ?? workflowLogGroup(scope, props);
  // The deprecated `definition` would replace the workflow's own definition: it is not an override.
  const { definition: _notAnOverride, ...overrides } = props.stateMachineProps ?? {};
  const machine = new sfn.StateMachine(
    scope,
    id,
    mergeProps<sfn.StateMachineProps>({ tracingEnabled: WORKFLOW_TRACING }, overrides, {
      stateMachineName: props.stateMachineName,
      stateMachineType: type,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      // AU-2/AU-12: every transition with its data, in the encrypted log group.
      logs: { destination: logGroup, level: WORKFLOW_LOG_LEVEL, includeExecutionData: WORKFLOW_INCLUDE_EXECUTION_DATA },
      // SC-28: execution input, output and state data under the agency's data key.
      // The key by reference: given the key itself, CDK adds a `delivery.logs` Decrypt to its policy
      // without a source condition; the key's owner grants log delivery, for its account only (PlatformKeys).
      encryptionConfiguration: new sfn.CustomerManagedEncryptionConfiguration(kms.Key.fromKeyArn(scope, `${id}EncryptionKey`, props.encryptionKey.keyArn)),
    }),
  );
  const role = machine.role;
  acknowledge(
    role,
    'AwsSolutions-IAM5[Resource::*]',
    'CloudWatch Logs delivery actions (CreateLogDelivery, PutResourcePolicy, ...) and X-Ray PutTraceSegments/PutTelemetryRecords do not support resource-level permissions (Step Functions logging and tracing docs).',
  );
  acknowledge(
    role,
    'NIST.800.53.R5-IAMNoInlinePolicy',
    'AWS::IAM::Policy attached to this one state machine role, written by CDK from the states it runs, with exact actions and resources; the role carries the permissions boundary.',
  );
  for (const fn of invokedFunctions) {
    acknowledgeWildcardResource(
      role,
      `${fn.functionArn}:*`,
      'Step Functions Lambda tasks are granted the function and its versions/aliases (`:*`) of this one function; the workflow invokes no other function.',
    );
  }
  if (props.tools.some((tool) => tool.implementation.kind === 'dynamodb-get-item')) {
    // The GetItem integration needs the table key too, beyond the GetItem the task itself grants.
    props.referenceData!.grantReadItems(machine);
  }
  return machine;
}

/** AU-9, AU-11: a log group under the logs key, kept WORKFLOW_LOG_RETENTION unless `logGroupProps` says otherwise. */
function workflowLogGroup(scope: Construct, props: ToolMachineProps): logs.LogGroup {
  if (!props.logsKey) {
    throw new Error(`${scope.node.path}: pass logGroup, or logsKey to encrypt the log group the workflow creates (got neither).`);
  }
  return new logs.LogGroup(
    scope,
    'Logs',
    mergeProps<logs.LogGroupProps>({ retention: WORKFLOW_LOG_RETENTION, removalPolicy: WORKFLOW_LOG_REMOVAL_POLICY }, props.logGroupProps, {
      encryptionKey: props.logsKey,
    }),
  );
}

/** The name in a state machine ARN (`arn:<partition>:states:<region>:<account>:stateMachine:<name>`). */
export function stateMachineNameOf(stateMachineArn: string): string {
  return Arn.split(stateMachineArn, ArnFormat.COLON_RESOURCE_NAME).resourceName!;
}

/** The ARN of the machine named `name` in the stack of `scope`, built from the name (no reference). */
export function stateMachineArnOf(scope: Construct, name: string): string {
  return Stack.of(scope).formatArn({ service: 'states', resource: 'stateMachine', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}
