/**
 * The HTML report renderer, loaded on demand (plots pull in Observable Plot and linkedom).
 */
import type { RunResults } from '../report/run-results.js';

export async function reportRenderer(): Promise<(results: RunResults) => string> {
  const { renderReportHtml } = await import('../report/html.js');
  return renderReportHtml;
}
