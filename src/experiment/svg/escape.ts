/**
 * Text and attribute values in the report's SVG. Set and asset names are user-provided, so every piece of
 * text goes through escapeXml: XML's five special characters as character references, and the control
 * characters XML 1.0 forbids (a name read from a file could hold one) as U+FFFD, so each <svg> stays
 * well-formed XML as well as valid HTML.
 */
export function escapeXml(text: string): string {
  return text
    .replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '\uFFFD');
}

/** A coordinate to two decimals: a hundredth of a pixel is below what a screen shows, and keeps the page small. */
export function px(value: number): string {
  return String(Math.round(value * 100) / 100);
}
