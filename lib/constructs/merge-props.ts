/**
 * Construct props merged the AWS Solutions Constructs way: the construct's
 * secure defaults, then the user's overrides, then what the construct
 * requires (its key schema, its key, its access rules), which always win.
 * Shallow: an override replaces a default's whole value (e.g. all lifecycle rules).
 */
export function mergeProps<T extends object>(defaults: Partial<T>, overrides: Partial<T> | undefined, required: Partial<T>): T {
  return { ...defaults, ...overrides, ...required } as T;
}
