import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gaussianEstimator, gaussianMi, gaussianMiFromCovariance, logDetSpd, wishartLogDetBias } from '../../../src/core/estimators/gaussian.js';
import { ksgEstimator, ksgMi } from '../../../src/core/estimators/ksg.js';
import { KdTree } from '../../../src/core/estimators/kdtree.js';
import { digamma, logGamma } from '../../../src/core/estimators/special.js';
import { Rng } from '../../../src/core/random.js';
import {
  additiveUniformTask, denseCovariance, gaussian1x1, gaussianDense, gaussianTwoPair, independentGaussian, mappedTask, pairedCovariance, studentTCorrection,
} from '../../../src/core/estimators/tasks.js';

test('digamma and logGamma match known values', () => {
  // ψ(1) = −γ, ψ(½) = −γ − 2 ln 2, ψ(10) = H₉ − γ; lnΓ(5) = ln 24, lnΓ(½) = ½ ln π.
  const gamma = 0.5772156649015329;
  assert.ok(Math.abs(digamma(1) + gamma) < 1e-13);
  assert.ok(Math.abs(digamma(0.5) - (-gamma - 2 * Math.LN2)) < 1e-13);
  let h9 = 0;
  for (let i = 1; i <= 9; i++) h9 += 1 / i;
  assert.ok(Math.abs(digamma(10) - (h9 - gamma)) < 1e-13);
  assert.ok(Math.abs(logGamma(5) - Math.log(24)) < 1e-13);
  assert.ok(Math.abs(logGamma(0.5) - 0.5 * Math.log(Math.PI)) < 1e-13);
});

test('Gaussian closed forms are exact to 1e-9', () => {
  // 1×1, ρ = 0.75: −½ log(1 − 0.5625) = 0.413339…
  assert.ok(Math.abs(gaussian1x1(0.75).mi - -0.5 * Math.log(1 - 0.5625)) < 1e-12);
  assert.ok(Math.abs(gaussian1x1(0.75).mi - 0.4133) < 5e-5);
  // 2-pair ρ = 0.8: −log(0.36) = 1.021651… at any dimension.
  for (const d of [2, 5, 25]) assert.ok(Math.abs(gaussianTwoPair(d).mi + Math.log(0.36)) < 1e-9);
  // Dense Σ = ½I + ½11ᵀ over 2m coordinates: det of (1−c)I + c11ᵀ in p dims is (1−c)^(p−1)(1+(p−1)c).
  const ld = (p: number): number => (p - 1) * Math.log(0.5) + Math.log(1 + (p - 1) * 0.5);
  for (const m of [1, 3, 50]) assert.ok(Math.abs(gaussianDense(m).mi - 0.5 * (2 * ld(m) - ld(2 * m))) < 1e-9);
  assert.ok(Math.abs(logDetSpd(denseCovariance(3, 3), 6) - ld(6)) < 1e-12);
  assert.ok(Number.isNaN(logDetSpd(new Float64Array([1, 2, 2, 1]), 2)));
  assert.equal(independentGaussian(3, 2).mi, 0);
  // Additive uniform: ε − log 2ε.
  assert.ok(Math.abs(additiveUniformTask(0.5).mi - 0.5) < 1e-15);
  // Student-t correction is positive (heavy shared tails carry information) and → 0 as ν → ∞.
  assert.ok(studentTCorrection(1, 1, 1) > 0.2 && studentTCorrection(1000, 1, 1) < 1e-5);
});

test('Wishart log-det bias matches a Monte Carlo average', () => {
  // p = 3, n = 10: E[log det S] for S from N(0, I) samples.
  const rng = new Rng(3);
  let sum = 0;
  const reps = 4000;
  for (let r = 0; r < reps; r++) {
    const x = new Float64Array(10 * 3);
    for (let i = 0; i < x.length; i++) x[i] = rng.normal();
    const mean = [0, 0, 0];
    for (let i = 0; i < 10; i++) for (let j = 0; j < 3; j++) mean[j] += x[i * 3 + j] / 10;
    const s = new Float64Array(9);
    for (let i = 0; i < 10; i++) for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) s[a * 3 + b] += ((x[i * 3 + a] - mean[a]) * (x[i * 3 + b] - mean[b])) / 9;
    sum += logDetSpd(s, 3);
  }
  // The MC standard error of the mean is ≈ 0.012 here; 0.04 is > 3 SE.
  assert.ok(Math.abs(sum / reps - wishartLogDetBias(3, 10)) < 0.04, `${sum / reps} vs ${wishartLogDetBias(3, 10)}`);
});

test('Gaussian estimator: near the truth at n = 5,000; bias-corrected on dense 50×50', async () => {
  for (const task of [gaussian1x1(), gaussianTwoPair(3), gaussianDense(3)]) {
    const s = task.sample(5000, 11);
    const est = await gaussianEstimator().estimate(s.x, s.y);
    // Sampling sd of the plug-in estimate is ≈ 0.01 on these tasks at n = 5,000.
    assert.ok(Math.abs(est.mi - task.mi) < 0.03, `${task.name}: ${est.mi} vs ${task.mi}`);
  }
  const dense = gaussianDense(50);
  const s = dense.sample(5000, 5);
  const plain = gaussianMi(s.x, s.y);
  const corrected = gaussianMi(s.x, s.y, { shrinkage: 0, biasCorrection: true });
  // Plug-in bias ≈ dx·dy/(2n) = 0.25 here; the correction removes it.
  assert.ok(plain - dense.mi > 0.15, `plain ${plain}`);
  assert.ok(Math.abs(corrected - dense.mi) < 0.02, `corrected ${corrected} vs ${dense.mi}`);
  // Ledoit–Wolf shrinks towards independence: never above the unshrunk estimate.
  assert.ok(gaussianMi(s.x, s.y, { shrinkage: 'ledoit-wolf', biasCorrection: false }) <= plain);
});

test('Gaussian estimator: bootstrap interval brackets the estimate, rejects bad shrinkage', async () => {
  const t = gaussian1x1();
  const s = t.sample(500, 2);
  const e = await gaussianEstimator().estimate(s.x, s.y, { bootstrap: 100, seed: 1 });
  assert.equal(e.ciMethod, 'bootstrap-rows');
  assert.ok(e.ci95 && e.ci95[0] < e.mi && e.mi < e.ci95[1]);
  assert.throws(() => gaussianEstimator({ shrinkage: 2 }), /shrinkage/);
  assert.ok(Math.abs(gaussianMiFromCovariance(pairedCovariance(1, 1, [0.75]), 1) - t.mi) < 1e-15);
});

test('k-d tree: kNN distances and strict counts equal brute force', () => {
  for (const d of [3, 6]) {
    const rng = new Rng(9);
    const n = 700;
    const pts = new Float64Array(n * d);
    for (let i = 0; i < pts.length; i++) pts[i] = Math.round(rng.normal() * 4) / 4; // many ties on purpose
    const tree = new KdTree(pts, n, d);
    const q = new Float64Array(d);
    for (let i = 0; i < n; i += 7) {
      q.set(pts.subarray(i * d, i * d + d));
      const dist: number[] = [];
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        let m = 0;
        for (let c = 0; c < d; c++) m = Math.max(m, Math.abs(pts[j * d + c] - q[c]));
        dist.push(m);
      }
      dist.sort((a, b) => a - b);
      assert.equal(tree.kthDistance(q, 4, i), dist[3]);
      // A valid upper bound (≥ the answer) only prunes: same result, also when it is tight.
      assert.equal(tree.kthDistance(q, 4, i, dist[3]), dist[3]);
      assert.equal(tree.kthDistance(q, 4, i, dist[3] + 1), dist[3]);
      const r = dist[3] + 0.1;
      assert.equal(tree.countWithin(q, r), 1 + dist.filter((v) => v < r).length);
      assert.equal(tree.countWithin(q, dist[3]), 1 + dist.filter((v) => v < dist[3]).length);
    }
  }
});

test('KSG: 1×1 Gaussian ρ = 0.75 at n = 5,000 within 0.03 of 0.413', () => {
  const t = gaussian1x1();
  const s = t.sample(5000, 21);
  assert.ok(Math.abs(ksgMi(s.x, s.y, { k: 5 }, 1) - t.mi) < 0.03);
});

test('KSG: invariant to invertible marginal maps up to noise, additive uniform close', () => {
  const t = mappedTask(gaussian1x1(), 'cubic');
  const s = t.sample(2000, 4);
  // Standardised KSG sees a different geometry after the map; the bias stays small at 1-d.
  assert.ok(Math.abs(ksgMi(s.x, s.y) - t.mi) < 0.06);
  const u = additiveUniformTask(0.25);
  const su = u.sample(2000, 4);
  assert.ok(Math.abs(ksgMi(su.x, su.y) - u.mi) < 0.06);
});

test('KSG: independent 2×2 at n = 2,000 has |mean| < 0.01 over 20 seeds; not clipped at 0', () => {
  const t = independentGaussian(2, 2);
  let sum = 0;
  let negative = 0;
  for (let seed = 0; seed < 20; seed++) {
    const s = t.sample(2000, 100 + seed);
    const v = ksgMi(s.x, s.y, { k: 5 }, seed);
    sum += v;
    if (v < 0) negative++;
  }
  assert.ok(Math.abs(sum / 20) < 0.01, `mean ${sum / 20}`);
  assert.ok(negative > 0, 'some estimates of a zero MI must be negative');
});

test('KSG estimator: subsampling interval and argument checks', async () => {
  const t = gaussian1x1();
  const s = t.sample(1000, 8);
  const e = await ksgEstimator({ k: 3 }).estimate(s.x, s.y, { bootstrap: 30, seed: 2 });
  assert.equal(e.ciMethod, 'subsampling-rows');
  assert.ok(e.ci95 && e.ci95[0] < e.mi && e.mi < e.ci95[1]);
  assert.throws(() => ksgEstimator({ k: 0 }), /k must be/);
  await assert.rejects(ksgEstimator().estimate({ rows: 3, cols: 1, data: new Float64Array(3) }, { rows: 4, cols: 1, data: new Float64Array(4) }), /paired/);
});

test('self-consistency (Song & Ermon): data processing and additivity over independent pairs', () => {
  const firstCol = (m: { rows: number; cols: number; data: Float64Array }) => ({ rows: m.rows, cols: 1, data: Float64Array.from({ length: m.rows }, (_, i) => m.data[i * m.cols]) });
  const t = gaussianTwoPair(3);
  const s = t.sample(2000, 12);
  // Dropping coordinates of Y is a function g(Y): I(X; Y) ≥ I(X; g(Y)). The margin here is
  // ≈ 0.5 nats (1.02 vs 0.51), far above the estimators' sampling sd (≈ 0.03).
  assert.ok(gaussianMi(s.x, s.y) > gaussianMi(s.x, firstCol(s.y)));
  assert.ok(ksgMi(s.x, s.y) > ksgMi(s.x, firstCol(s.y)));
  const a = gaussian1x1(0.75).sample(2000, 13);
  const b = gaussian1x1(0.5).sample(2000, 14);
  const cat = (p: { data: Float64Array }, q: { data: Float64Array }) => ({ rows: 2000, cols: 2, data: Float64Array.from({ length: 4000 }, (_, i) => (i % 2 === 0 ? p.data[i >> 1] : q.data[i >> 1])) });
  const joint = (f: typeof gaussianMi) => f(cat(a.x, b.x), cat(a.y, b.y));
  // Gaussian: the joint covariance is block diagonal up to sampling noise (cross terms ~ 1/√n).
  assert.ok(Math.abs(joint(gaussianMi) - (gaussianMi(a.x, a.y) + gaussianMi(b.x, b.y))) < 0.01);
  // KSG in 4-d vs two 2-d estimates: different neighbourhood geometry, bias differs by a few 0.01.
  const kJoint = ksgMi(cat(a.x, b.x), cat(a.y, b.y));
  assert.ok(Math.abs(kJoint - (ksgMi(a.x, a.y) + ksgMi(b.x, b.y))) < 0.05, `${kJoint}`);
});
