/** Text helpers shared by every layer. */

/** Orders strings by their UTF-16 code units (locale-independent, so results never depend on the machine). */
export function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
