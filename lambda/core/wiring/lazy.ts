/**
 * A value made on first use and kept for the execution environment. The
 * composition roots use it for what a cold start need not pay for: an SDK
 * client a request may never call, a module only one backend needs.
 */
export function lazy<T>(make: () => T): () => T {
  let made: { readonly value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}
