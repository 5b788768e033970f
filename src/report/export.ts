/**
 * `report --export DIR`: every figure of the report as a standalone SVG and a PNG (the SVG
 * rasterised by sharp/librsvg at 2× for print), and every table as CSV and LaTeX (booktabs),
 * each named after its figure or table (`fig-emid-bound.svg`, `table-scenarios.tex`, …).
 * Nothing is written outside DIR.
 */
import { join } from 'node:path';
import sharp from 'sharp';
import { InputError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import type { RunResults } from './run-results.js';
import type { Drawn } from './plots.js';
import { reportFigures } from './html.js';
import { correlationTable, scenarioTable, tableCsv, tableLatex, type TableData } from './tables.js';

/** Pixels per SVG unit in the PNGs. */
export const PNG_SCALE = 2;

/**
 * The parts of a drawn figure stacked top to bottom into one standalone SVG document on a
 * white background (the inner `<svg>` elements keep their own viewBoxes).
 */
export function standaloneSvg(d: Drawn): { svg: string; width: number; height: number } {
  const width = Math.max(...d.parts.map((p) => p.width));
  let y = 0;
  const inner = d.parts
    .map((p) => {
      const placed = p.markup.replace(/^<svg\b/, `<svg x="0" y="${y}"`);
      y += p.height + 8;
      return placed;
    })
    .join('');
  const height = y - 8;
  return {
    svg: `<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" color="#1d2330"><rect width="100%" height="100%" fill="white"/>${inner}</svg>\n`,
    width,
    height,
  };
}

export interface ExportedFile {
  readonly kind: 'svg' | 'png' | 'csv' | 'tex';
  readonly path: string;
  /** The figure's or table's id in the page. */
  readonly of: string;
}

/** The tables `report --export` writes (the same data the page shows). */
export function reportTables(r: RunResults): TableData[] {
  return [scenarioTable(r), correlationTable(r)] as TableData[];
}

/** Write every figure and table of `results` into `dir`; returns what was written, in order. */
export async function exportReport(results: RunResults, dir: string): Promise<ExportedFile[]> {
  const files: ExportedFile[] = [];
  const write = (name: string, data: string | Uint8Array, kind: ExportedFile['kind'], of: string): void => {
    const path = join(dir, name);
    try {
      writeFileAtomic(path, data);
    } catch (err) {
      if (err instanceof InputError) throw err;
      throw new InputError(`${path}: cannot write the export (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    files.push({ kind, path, of });
  };
  for (const f of reportFigures(results)) {
    if (f.drawn === null) continue;
    const { svg } = standaloneSvg(f.drawn);
    write(`${f.stem}.svg`, svg, 'svg', f.id);
    const png = await sharp(Buffer.from(svg), { density: 72 * PNG_SCALE }).png().toBuffer();
    write(`${f.stem}.png`, png, 'png', f.id);
  }
  for (const t of reportTables(results)) {
    write(`${t.id}.csv`, tableCsv(t), 'csv', t.id);
    write(`${t.id}.tex`, tableLatex(t), 'tex', t.id);
  }
  return files;
}
