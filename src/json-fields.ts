/** JSON inside peer frames (display events, errors, versions), read without trusting its shape. No dependencies: task processes load it too. */
export const isJsonObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A JSON object from a peer's frame field (a display event, an error, versions), or null when the text is
 * not one. Callers then check each field they read: nothing from another machine is taken on trust.
 */
export function jsonObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return isJsonObject(value) ? value : null;
  } catch {
    return null;
  }
}
