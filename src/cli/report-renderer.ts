/**
 * The HTML report renderer, loaded on demand (plots pull in Observable Plot and linkedom).
 */
import type { RenderReport } from '../report/run-results.js';

export async function reportRenderer(): Promise<RenderReport> {
  const { renderReportHtml } = await import('../report/html.js');
  return renderReportHtml;
}
