import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * One home per equation (issue 12): each equation of DESIGN.md listed here is implemented in
 * exactly one src/ file. A row names that file, the functions that implement the equation
 * (each must be defined there and nowhere else in src/) and fingerprints of its arithmetic
 * that a second copy would repeat (each may match in that file only).
 */
const EQUATIONS: { eq: string; file: string; functions: string[]; fingerprints: RegExp[] }[] = [
  { eq: 'E7', file: 'src/core/club.ts', functions: ['clubFromMoments'], fingerprints: [/meanSq/, /2 \* \w+ \* mean\w*\[/] },
  { eq: 'E9', file: 'src/core/jsd.ts', functions: ['vonNeumannEntropy', 'matrixEntropy'], fingerprints: [/-=\s*\w+\s*\*\s*Math\.log\(\w+\)/] },
  { eq: 'E10', file: 'src/core/jsd.ts', functions: ['jsdFromEntropies', 'representationJsdPrepared', 'representationJsd'], fingerprints: [/-\s*0\.5\s*\*\s*\([^)]*entrop/i] },
  { eq: 'E11', file: 'src/core/jsd.ts', functions: ['mixtureMatrix', 'selfMatrix'], fingerprints: [/Math\.sqrt\(\s*w\w*\s*\*\s*w\w*\s*\)/] },
];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const files = new Map(sources('src').map((p) => [relative('.', p).split('\\').join('/'), readFileSync(p, 'utf8')]));

for (const { eq, file, functions, fingerprints } of EQUATIONS) {
  test(`${eq} is implemented in ${file} only`, () => {
    assert.ok(files.has(file), `${file} exists`);
    for (const fn of functions) {
      const def = new RegExp(`function\\s+${fn}\\s*[(<]`);
      const where = [...files].filter(([, text]) => def.test(text)).map(([p]) => p);
      assert.deepEqual(where, [file], `${eq}: function ${fn} defined in ${JSON.stringify(where)}, expected only ${file}`);
    }
    for (const fp of fingerprints) {
      const where = [...files].filter(([, text]) => fp.test(text)).map(([p]) => p);
      assert.ok(where.every((p) => p === file), `${eq}: ${fp} also matches in ${where.filter((p) => p !== file).join(', ')} (expected ${file} only)`);
    }
  });
}

test('the fingerprints catch a copy (guard against patterns that cannot fail)', () => {
  const copy = 'for (const l of ev) s -= p * Math.log(p);\nconst j = mix - 0.5 * (a.entropy + b.entropy);\nr += meanSq[t] - 2 * m * mean[t];';
  for (const eq of ['E7', 'E9', 'E10']) {
    const row = EQUATIONS.find((r) => r.eq === eq)!;
    assert.ok(row.fingerprints.some((fp) => fp.test(copy)), `${eq}: no fingerprint matches a pasted copy`);
  }
});
