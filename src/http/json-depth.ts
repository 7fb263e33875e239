/** Deeper JSON than this is refused at the edge: no schema of the API nests beyond a handful of levels. */
export const MAX_JSON_DEPTH = 64;

/**
 * True when the JSON text nests arrays or objects deeper than `max`. One
 * linear scan that skips strings, run before JSON.parse and anything
 * recursive (validation, canonicalisation, cloning) sees the value.
 */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) { if (++depth > max) return true; } else if (c === 125 || c === 93) depth--;
  }
  return false;
}
