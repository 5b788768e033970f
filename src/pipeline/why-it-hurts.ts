/**
 * "Why it hurts" for the report: per OOD scenario, the samples with the largest per-sample
 * drop (run-samples.ts), each with the ID and the shifted image as embedded JPEG thumbnails,
 * both questions, answers, the reference, the judge's scores and review.
 */
import sharp from 'sharp';
import { decodeImage } from '../io/image.js';
import { readImageFile } from '../io/image-file.js';
import type { HurtSide, RunResults, WhyItHurts } from '../report/run-results.js';
import { readRunSamples, sampleDrops, type RunSample } from './run-samples.js';

/** Longest side of a thumbnail, in pixels. */
export const THUMBNAIL_SIZE = 220;

/** A JPEG data: URI of the image at `path`, at most THUMBNAIL_SIZE on its longest side; null if unreadable. */
export async function thumbnail(path: string, size = THUMBNAIL_SIZE): Promise<string | null> {
  try {
    const { image } = await decodeImage(await readImageFile(path, path), path);
    const jpeg = await sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), { raw: { width: image.width, height: image.height, channels: 3 } })
      .resize(size, size, { fit: 'inside', withoutEnlargement: true })
      .jpeg({ quality: 80 })
      .toBuffer();
    return `data:image/jpeg;base64,${jpeg.toString('base64')}`;
  } catch {
    return null;
  }
}

async function side(s: RunSample): Promise<HurtSide> {
  return { question: s.question, answer: s.answer, thumbnail: await thumbnail(s.image), referenceScore: s.referenceScore, modelScore: s.modelScore, review: s.review };
}

/**
 * The `perScenario` largest drops of every OOD scenario of `results`, from the run folder
 * `runDir`; null when the run holds no samples or no way to rank them.
 */
export async function whyItHurts(results: RunResults, runDir: string, perScenario = 3): Promise<WhyItHurts | null> {
  const samples = readRunSamples(runDir);
  const idName = results.run.idScenario;
  const id = samples.byScenario.get(idName);
  if (!id) return null;
  let kind: WhyItHurts['kind'] | null = null;
  const scenarios: { scenario: string; samples: WhyItHurts['scenarios'][number]['samples'] }[] = [];
  for (const s of results.scenarios) {
    if (s.modality === 'id') continue;
    const ranked = sampleDrops(samples, idName, s.name, results.run.estimator);
    const ood = samples.byScenario.get(s.name);
    if (!ranked || !ood) continue;
    kind = ranked.kind;
    const top = [];
    for (const d of ranked.drops.slice(0, perScenario)) {
      const a = id.get(d.id) as RunSample;
      const b = ood.get(d.id) as RunSample;
      top.push({ id: d.id, drop: d.drop, category: b.category, reference: b.reference, inDistribution: await side(a), shifted: await side(b) });
    }
    scenarios.push({ scenario: s.name, samples: top });
  }
  return kind ? { kind, scenarios } : null;
}
