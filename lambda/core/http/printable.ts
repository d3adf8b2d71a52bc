/**
 * Request text echoed into a response or a log line (a caller's ARN, an
 * unknown field's name, a method): printable ASCII only, and bounded, so a
 * hostile value can neither forge log structure nor flood it.
 */
export function printable(text: unknown, maxLength = 64): string {
  const clean = String(text ?? '').replace(/[^\x20-\x7e]/g, '?');
  return clean.length > maxLength ? `${clean.slice(0, maxLength)}...` : clean;
}
