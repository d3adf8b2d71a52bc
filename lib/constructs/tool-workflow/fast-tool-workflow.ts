import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { requireCapability } from '../../residency/capability-gate';
import { notAllowed, ToolFailureStates, toolTask } from './tool-states';
import {
  createdMachine,
  importedMachine,
  targetOf,
  ToolMachineBase,
  toolStateMachine,
  validateTools,
  type IToolMachine,
  type ToolMachineAttributes,
  type ToolMachineIdentity,
  type ToolMachineProps,
} from './tool-machine';
import { FAST_TOOL_RETRY } from './tool-workflow-defaults';

/** The fast-tools workflow, created here or imported with `FastToolWorkflow.fromFastToolWorkflowAttributes`. */
export interface IFastToolWorkflow extends IToolMachine {
  /** Run a tool within a turn: StartSyncExecution (and the key of the execution data). */
  grantStartSync(grantee: iam.IGrantable): iam.Grant;
}

abstract class FastToolWorkflowBase extends ToolMachineBase implements IFastToolWorkflow {

  public grantStartSync(grantee: iam.IGrantable): iam.Grant {
    return this.grantOnMachine(grantee, ['states:StartSyncExecution']);
  }
}

/** Every tool it runs is `mode: 'fast'` and needs no approval. */
export type FastToolWorkflowProps = ToolMachineProps;

/**
 * The fast half of the tool port: an Express state
 * machine the orchestrator starts synchronously within a turn. It routes on
 * `$.tool` to one Task per fast tool (a Lambda, or a DynamoDB GetItem SDK
 * integration of the caller's tenant), each with its timeout; every outcome,
 * failures included, is a ToolRunOutput (lib/contract/workflow-contract.ts).
 *
 * No HTTP tasks: Step Functions in GovCloud has none. It logs ALL execution
 * data to an encrypted log group, traces with X-Ray and encrypts its state
 * under `encryptionKey`.
 */
export class FastToolWorkflow extends FastToolWorkflowBase {
  /** A fast-tools workflow deployed elsewhere: its grants and metrics work as on one created here. */
  public static fromFastToolWorkflowAttributes(scope: Construct, id: string, attrs: ToolMachineAttributes): IFastToolWorkflow {
    return new ImportedFastToolWorkflow(scope, id, importedMachine(attrs));
  }

  public readonly stateMachine: sfn.StateMachine;
  public declare readonly encryptionKey: kms.IKey;

  constructor(scope: Construct, id: string, props: FastToolWorkflowProps) {
    super(scope, id, createdMachine(scope, props));
    for (const tool of props.tools) {
      // The Express workflow has no approval wait: an approval-gated tool here would run unapproved.
      if (tool.mode !== 'fast' || tool.approval) {
        throw new Error(
          `${this.node.path}: tool "${tool.name}" is mode "${tool.mode}"${tool.approval ? ' with an approval rule' : ''}; the fast workflow runs only mode "fast" tools without approval. Declare it mode "slow" and give it to the ApprovalWorkflow.`,
        );
      }
    }
    validateTools(this, props);
    requireCapability(this, 'states:express', 'the fast-tools workflow (Express state machine)');
    const functions = props.tools.flatMap((tool) => props.toolFunctions?.[tool.name] ?? []);
    this.stateMachine = toolStateMachine(this, props, sfn.StateMachineType.EXPRESS, this.definition(props), functions);
  }

  /** Route on `$.tool` to the fast tool's Task; the execution's output is the ToolRunOutput. */
  private definition(props: FastToolWorkflowProps): sfn.IChainable {
    const scope = new Construct(this, 'States');
    // A Choice needs at least one rule: with no fast tool, every call is refused.
    if (props.tools.length === 0) return notAllowed(scope, {});
    const failures = new ToolFailureStates(scope, {});
    const route = new sfn.Choice(scope, 'Which tool?');
    for (const tool of props.tools) {
      const task = toolTask(scope, tool, targetOf(props, tool), {}, FAST_TOOL_RETRY);
      failures.catchFailuresOf(task);
      route.when(sfn.Condition.stringEquals('$.tool', tool.name), task);
    }
    return route.otherwise(notAllowed(scope, {}));
  }
}

class ImportedFastToolWorkflow extends FastToolWorkflowBase {
  public constructor(scope: Construct, id: string, identity: ToolMachineIdentity) {
    super(scope, id, identity);
  }
}
