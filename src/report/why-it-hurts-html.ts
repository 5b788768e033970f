/**
 * The "why it hurts" section of the report: per OOD scenario (a collapsible block; the three
 * with the largest EMID open), the samples with the largest drop, ID and shifted side by side:
 * thumbnail, question, answer, judge scores and review; the reference once. Every text is
 * escaped; thumbnails are data: URIs (the page stays self-contained).
 */
import type { HurtSide, RunResults, WhyItHurts } from './run-results.js';
import { escapeHtml as e } from './escape.js';
import { formatNumber } from './html-format.js';

export const WHY_CSS = `
#why details { border: 1px solid var(--line); border-radius: 8px; margin: 0 0 10px; padding: 6px 12px; }
#why summary { cursor: pointer; font-weight: 600; }
.hurt { border-top: 1px solid var(--line); padding: 10px 0; }
.hurt .meta { color: var(--muted); font-size: 13px; margin-bottom: 6px; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
.pair h4 { margin: 0 0 4px; font-size: 14px; }
.pair img { display: block; max-width: 220px; max-height: 220px; border: 1px solid var(--line); border-radius: 4px; margin-bottom: 6px; }
.pair p, .hurt .ref { margin: 4px 0; white-space: pre-wrap; overflow-wrap: anywhere; background: var(--soft); border-radius: 4px; padding: 4px 8px; font-size: 13.5px; }
.pair .label { background: none; padding: 0; color: var(--muted); font-size: 12px; margin: 6px 0 0; }
`;

function scores(s: HurtSide): string {
  if (s.modelScore === null && s.referenceScore === null) return '';
  return `<p class="label">Judge: model ${formatNumber(s.modelScore, 1)}, reference ${formatNumber(s.referenceScore, 1)}</p>`;
}

function sideHtml(title: string, s: HurtSide): string {
  const img = s.thumbnail ? `<img src="${e(s.thumbnail)}" alt="${e(title)} image">` : '<p class="label">(image not readable)</p>';
  return (
    `<div><h4>${e(title)}</h4>${img}<p class="label">Question</p><p>${e(s.question)}</p>` +
    `<p class="label">Model answer</p><p class="response">${s.answer === null ? '—' : e(s.answer)}</p>${scores(s)}` +
    (s.review ? `<p class="label">Judge’s review</p><p>${e(s.review)}</p>` : '') +
    '</div>'
  );
}

export function whyItHurtsHtml(w: WhyItHurts, r: RunResults): string {
  const emid = new Map(r.scenarios.map((s) => [s.name, s.emid ?? Number.NEGATIVE_INFINITY]));
  const open = new Set([...w.scenarios].sort((a, b) => (emid.get(b.scenario) as number) - (emid.get(a.scenario) as number)).slice(0, 3).map((s) => s.scenario));
  const what =
    w.kind === 'judge'
      ? 'Drop = the judge’s score of the model’s answer on the ID sample minus that on the shifted sample (same question id).'
      : 'No judge scores: drop = the sample’s leave-one-out contribution to EMID (how much EMI(ID) − EMI(OOD) falls when the sample is left out of both sets).';
  const blocks = w.scenarios
    .map((s) => {
      const items = s.samples
        .map(
          (x) =>
            `<article class="hurt" data-sample="${e(x.id)}"><div class="meta">sample ${e(x.id)}${x.category ? ` · ${e(x.category)}` : ''} · drop ${formatNumber(x.drop, w.kind === 'judge' ? 1 : 5)}</div>` +
            `<div class="pair">${sideHtml('In distribution', x.inDistribution)}${sideHtml('Shifted', x.shifted)}</div>` +
            (x.reference ? `<p class="label">Reference answer</p><p class="ref">${e(x.reference)}</p>` : '') +
            '</article>',
        )
        .join('');
      return `<details${open.has(s.scenario) ? ' open' : ''} data-scenario="${e(s.scenario)}"><summary>${e(s.scenario)} · EMID ${formatNumber(emid.get(s.scenario), 4)}</summary>${items || '<p class="placeholder">No samples to compare.</p>'}</details>`;
    })
    .join('');
  return `<section id="why"><h2>Why it hurts</h2><p class="table-note">Per scenario, the samples with the largest drop under the shift, as the model saw them. ${what}</p>${blocks}</section>`;
}
