// Placeholder while the round function is written (replaced in this session).
export async function handler(): Promise<never> {
  throw new Error('the round function is not built yet');
}
