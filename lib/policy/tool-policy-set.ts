import * as fs from 'node:fs';
import * as path from 'node:path';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { TOOL_POLICY_TYPES, type ActorAttributes, type TenantToolMap, type ToolPolicyDocument } from '../contract/tool-policy';
import { tenantToolPolicies } from './tenant-tool-policies';
import { cedarMessages, toolPolicySchema, type ToolPolicySchema, type ToolPolicyVocabulary } from './tool-policy-schema';

/**
 * A target's tool policies (AC-3, AC-6): Cedar files, the tenant map's
 * forbids and the actors' attributes, each validated against the target's
 * schema when the set is made, so a policy that does not parse, or names an
 * attribute, tenant, agent or tool the target does not have, fails synth
 * with its file and line.
 */

/** The directory relative file names in ids and messages are given from (the repository root). */
const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** The kit's default policy: every enabled tool to every caller of the target's tenants. */
export const DEFAULT_TOOL_POLICY_FILES: readonly string[] = [path.join(__dirname, 'default.cedar')];

/** Attributes the orchestrator sets from the caller's identity; the configuration cannot set them. */
const IDENTITY_ATTRIBUTES = ['principalArn', 'sessionName'];

export interface ToolPolicySource {
  /** Cedar files, absolute or relative to the working directory. @default DEFAULT_TOOL_POLICY_FILES */
  readonly files?: readonly string[];
  /** `tools.policy`: each tenant listed may call only its tools. @default none */
  readonly tenantTools?: TenantToolMap;
  /** IAM role (or user) ARN → the attributes of its callers (`Statehouse::Actor`). @default none */
  readonly actors?: Readonly<Record<string, ActorAttributes>>;
}

/** One problem of a policy set: where it is, and what Cedar said. */
export interface ToolPolicyProblem {
  /** The file (relative to the repository root when inside it), the generated policy's id (`tools.policy.<tenant>`), or `tools.actors`. */
  readonly source: string;
  /** The file as given in `files`, for a problem in one. */
  readonly file?: string;
  /** The role of `actors` the problem is about. */
  readonly role?: string;
  readonly line?: number;
  readonly column?: number;
  readonly message: string;
}

/** `file:line:column: message`. */
export function formatToolPolicyProblem(problem: ToolPolicyProblem): string {
  const at = [problem.source, problem.line, problem.column].filter((part) => part !== undefined).join(':');
  return `${at}${problem.role ? ` (${problem.role})` : ''}: ${problem.message}`;
}

export class ToolPolicyError extends Error {
  constructor(public readonly problems: readonly ToolPolicyProblem[]) {
    super(`the tool policy is invalid:\n${problems.map((p) => `  - ${formatToolPolicyProblem(p)}`).join('\n')}`);
    this.name = 'ToolPolicyError';
  }
}

/** One policy of the set. */
export interface ToolPolicyEntry {
  /** Its id in ENV.TOOL_POLICY: `<source>:<line>`, or `tools.policy.<tenant>`. */
  readonly id: string;
  /** The file it is written in (relative to the repository root when inside it), or `tools.policy`. */
  readonly source: string;
  readonly line?: number;
  readonly text: string;
}

function displayName(file: string): string {
  const relative = path.relative(REPO_ROOT, path.resolve(file));
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative.split(path.sep).join('/');
}

/** Line and column (1-based) of a byte offset, as Cedar reports source locations. */
function position(text: string, byteOffset: number): { line: number; column: number } {
  const lines = Buffer.from(text, 'utf8').subarray(0, byteOffset).toString('utf8').split('\n');
  return { line: lines.length, column: lines[lines.length - 1].length + 1 };
}

/**
 * Cedar's messages about one text, with the position of each, without
 * Cedar's internal policy ids. The validator's warnings count too: a policy
 * that is impossible (a forbid that can never apply, often a misspelt
 * attribute behind `has`) or that mixes confusable characters is refused.
 */
function validationProblems(source: string, text: string, schema: ToolPolicySchema): ToolPolicyProblem[] {
  const answer = cedar.validate({ schema: schema.json, policies: { staticPolicies: text }, validationSettings: { mode: 'strict' } });
  const errors = answer.type === 'failure' ? answer.errors : [...answer.validationErrors, ...answer.validationWarnings].map((e) => e.error);
  const hint = schema.omittedInputFields.length > 0 && text.includes('context.input') ? ` (context.input has no ${schema.omittedInputFields.join(', ')})` : '';
  return errors.map((error) => {
    const offset = error.sourceLocations?.[0]?.start;
    const message = cedarMessages([{ ...error, message: error.message.replace(/^for policy `[^`]*`[,:] /, '').replace(/^failed to parse policies from string: /, 'does not parse: ') }]);
    return { source, ...(offset === undefined ? {} : position(text, offset)), message: `${message}${hint}` };
  });
}

/** The policies of a text that validated, each with the line it starts on. */
function entriesOf(source: string, text: string): { entries: ToolPolicyEntry[]; problems: ToolPolicyProblem[] } {
  const parts = cedar.policySetTextToParts(text);
  if (parts.type !== 'success') return { entries: [], problems: [{ source, message: cedarMessages(parts.errors) }] };
  const entries: ToolPolicyEntry[] = [];
  let from = 0;
  for (const policy of parts.policies) {
    // Each part is the policy's own source text, so its place in the file gives its line.
    const at = text.indexOf(policy, from);
    from = at + policy.length;
    const line = text.slice(0, at).split('\n').length;
    const id = entries.some((e) => e.line === line) ? `${source}:${line}:${entries.length + 1}` : `${source}:${line}`;
    entries.push({ id, source, line, text: policy });
  }
  return { entries, problems: [] };
}

/** `arn:<p>:iam::<account>:role/<path>/<name>` → `arn:<p>:iam::<account>:role/<name>`, the key the orchestrator looks callers up by. */
function principalKey(arn: string): string | undefined {
  const match = /^arn:([a-z][a-z0-9-]*):iam::(\d{12}):(role|user)\/(?:[\x21-\x7e]*\/)?([\w+=,.@-]{1,64})$/.exec(arn);
  return match ? `arn:${match[1]}:iam::${match[2]}:${match[3]}/${match[4]}` : undefined;
}

function actorProblems(actors: Readonly<Record<string, ActorAttributes>>, schema: ToolPolicySchema): { keyed: Record<string, ActorAttributes>; problems: ToolPolicyProblem[] } {
  const keyed: Record<string, ActorAttributes> = {};
  const problems: ToolPolicyProblem[] = [];
  for (const [role, attributes] of Object.entries(actors)) {
    const key = principalKey(role);
    const reserved = Object.keys(attributes).filter((name) => IDENTITY_ATTRIBUTES.includes(name));
    if (key === undefined) {
      problems.push({ source: 'tools.actors', role, message: 'is not an IAM role or user ARN (arn:<partition>:iam::<account>:role/<name>)' });
      continue;
    }
    if (reserved.length > 0) {
      problems.push({ source: 'tools.actors', role, message: `${reserved.join(', ')} come from the caller's identity at each call; remove them` });
      continue;
    }
    const entity = { uid: { type: TOOL_POLICY_TYPES.actor, id: key }, attrs: { principalArn: key, ...attributes }, parents: [] };
    const parsed = cedar.checkParseEntities({ entities: [entity], schema: schema.json });
    if (parsed.type === 'failure') {
      problems.push({ source: 'tools.actors', role, message: `${cedarMessages(parsed.errors)}; declare the attribute on Statehouse::Actor in lib/policy/statehouse.cedarschema, or remove it` });
    } else keyed[key] = attributes;
  }
  return { keyed, problems };
}

export class ToolPolicySet {
  /**
   * Reads and validates the policies. @throws ToolPolicyError listing every
   * problem: a file that cannot be read or does not parse, a policy the
   * schema refuses, an actor attribute the schema does not declare.
   */
  public static of(source: ToolPolicySource, vocabulary: ToolPolicyVocabulary): ToolPolicySet {
    const schema = toolPolicySchema(vocabulary);
    const problems: ToolPolicyProblem[] = [];
    const entries: ToolPolicyEntry[] = [];
    for (const file of source.files ?? DEFAULT_TOOL_POLICY_FILES) {
      let text: string;
      try {
        text = fs.readFileSync(path.resolve(file), 'utf8');
      } catch (error) {
        problems.push({ source: file, file, message: `cannot be read (${(error as Error).message})` });
        continue;
      }
      const name = displayName(file);
      const invalid = validationProblems(name, text, schema);
      const parsed = invalid.length === 0 ? entriesOf(name, text) : { entries: [], problems: invalid };
      problems.push(...parsed.problems.map((problem) => ({ ...problem, file })));
      entries.push(...parsed.entries);
    }
    for (const [id, text] of Object.entries(tenantToolPolicies(source.tenantTools ?? {}))) {
      const invalid = validationProblems(id, text, schema);
      problems.push(...invalid);
      if (invalid.length === 0) entries.push({ id, source: 'tools.policy', text });
    }
    const actors = actorProblems(source.actors ?? {}, schema);
    problems.push(...actors.problems);
    if (problems.length > 0) throw new ToolPolicyError(problems);
    return new ToolPolicySet(entries, actors.keyed, schema, vocabulary.tools.map((tool) => tool.name));
  }

  /**
   * The set a ToolWorkflow ships: `policy` itself, which must have been
   * validated for exactly `tools`, or, for a tenant map, the default policy
   * and the map's forbids.
   */
  public static for(policy: ToolPolicySet | TenantToolMap, tools: ToolPolicyVocabulary['tools']): ToolPolicySet {
    if (!(policy instanceof ToolPolicySet)) return ToolPolicySet.of({ tenantTools: policy }, { tools });
    const names = tools.map((tool) => tool.name);
    if (names.join() !== policy.toolNames.join()) {
      throw new Error(`the tool policy was validated for the tools ${policy.toolNames.join(', ') || 'none'}, but the workflow runs ${names.join(', ') || 'none'}; make the set with the same tools.`);
    }
    return policy;
  }

  private constructor(
    /** In order: the files as given, then the tenant map's. */
    public readonly policies: readonly ToolPolicyEntry[],
    /** Path-free principal ARN → attributes. */
    public readonly actors: Readonly<Record<string, ActorAttributes>>,
    /** The schema the set was validated against. */
    public readonly schema: ToolPolicySchema,
    /** The tools the set was validated for. */
    public readonly toolNames: readonly string[],
  ) {}

  /** What ENV.TOOL_POLICY carries. */
  public get document(): ToolPolicyDocument {
    const policies = Object.fromEntries(this.policies.map((policy) => [policy.id, policy.text]));
    return Object.keys(this.actors).length === 0 ? { policies } : { policies, actors: this.actors };
  }
}
