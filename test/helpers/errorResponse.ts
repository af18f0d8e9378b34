import { expect } from 'vitest';

/** Reads an error response and checks it is Triton's `{"error": "..."}` in JSON; returns status and message. */
export async function readError(res: Response): Promise<{ status: number; error: string }> {
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const body = await res.json();
  expect(Object.keys(body)).toEqual(['error']);
  expect(typeof body.error).toBe('string');
  expect(body.error.length).toBeGreaterThan(0);
  return { status: res.status, error: body.error };
}
