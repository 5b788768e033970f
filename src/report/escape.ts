/**
 * HTML escaping for the report. Every text that comes from a model, a data set or a results
 * file (scenario names, questions, responses, notes) passes through `escapeHtml` before it is
 * put into the page, so that it is shown as text and can never become markup or script.
 */

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Escape `& < > " '` so the text is safe both as element content and inside a quoted
 * attribute value. Example: escapeHtml('<script>') === '&lt;script&gt;'.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}
