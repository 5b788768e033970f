import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDatasetDir, writeDatasetDir } from '../../src/data/dataset-dir.js';
import { loadDataset, readImageBytes } from '../../src/data/load.js';
import { InputError } from '../../src/errors.js';
import type { Sample } from '../../src/data/sample.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'mllmshift-load-'));
}

const JPEG_A = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
const JPEG_B = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 4, 5, 6]);

function jsonl(rows: unknown[]): string {
  return rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

test('writeDatasetDir → readDatasetDir round trip, shared images written once', () => {
  const dir = tmp();
  try {
    const samples: Sample[] = [
      { id: '0', image: { kind: 'bytes', bytes: JPEG_A, name: 'a.jpg' }, question: 'What?', referenceAnswer: 'This.', category: 'conv', context: 'a cat' },
      { id: '1', image: { kind: 'bytes', bytes: JPEG_A, name: 'a.jpg' }, question: 'Describe.' },
      { id: '2', image: { kind: 'bytes', bytes: JPEG_B, name: 'a.jpg' }, question: 'Other?' },
      { id: '3', image: { kind: 'bytes', bytes: JPEG_B }, question: 'No name' },
    ];
    writeDatasetDir(dir, samples, { name: 'toy', seed: 1 });
    const lines = readFileSync(join(dir, 'samples.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines[0], { id: '0', image: 'images/a.jpg', question: 'What?', reference_answer: 'This.', category: 'conv', context: 'a cat' });
    assert.equal(lines[1].image, 'images/a.jpg');
    assert.equal(lines[2].image, 'images/a_2.jpg');
    assert.equal(lines[3].image, 'images/3.jpg');
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')), { name: 'toy', seed: 1 });
    const back = readDatasetDir(dir);
    assert.equal(back.length, 4);
    assert.equal(back[0].referenceAnswer, 'This.');
    assert.equal(back[1].referenceAnswer, undefined);
    assert.equal(back[0].image.kind, 'file');
    // re-writing the read samples into the same directory keeps paths in place
    writeDatasetDir(dir, back, { name: 'toy', seed: 1 });
    assert.deepEqual(readFileSync(join(dir, 'samples.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)), lines);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('readDatasetDir reports file:line for bad JSON, missing fields, missing images, duplicate ids', async () => {
  const dir = tmp();
  try {
    mkdirSync(join(dir, 'images'));
    writeFileSync(join(dir, 'images', 'x.jpg'), JPEG_A);
    const f = join(dir, 'samples.jsonl');
    const ok = { id: 'a', image: 'images/x.jpg', question: 'q' };
    writeFileSync(f, jsonl([ok]) + '{not json\n');
    assert.throws(() => readDatasetDir(dir), (e: Error) => e instanceof InputError && e.message.startsWith(`${f}:2: not valid JSON`));
    writeFileSync(f, jsonl([ok, { id: 'b', image: 'images/x.jpg' }]));
    assert.throws(() => readDatasetDir(dir), { message: `${f}:2: missing field "question"` });
    writeFileSync(f, jsonl([ok, { id: 'b', image: 'images/y.jpg', question: 'q' }]));
    assert.throws(() => readDatasetDir(dir), /samples\.jsonl:2: image "images\/y\.jpg" not found/);
    writeFileSync(f, jsonl([ok, ok]));
    assert.throws(() => readDatasetDir(dir), /samples\.jsonl:2: duplicate id "a" \(first on line 1\)/);
    writeFileSync(f, jsonl([{ ...ok, question: 3 }]));
    assert.throws(() => readDatasetDir(dir), /:1: field "question" must be a string, found 3/);
    writeFileSync(f, jsonl([ok]));
    const s = await loadDataset(dir);
    assert.deepEqual(await readImageBytes(s[0]), JPEG_A);
    assert.equal((await loadDataset(f)).length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('LLaVA-Bench COCO layout: questions + answers + caps_boxes context + images', async () => {
  const dir = tmp();
  try {
    writeFileSync(join(dir, 'COCO_val2014_000000441147.jpg'), JPEG_A); // the COCO download's name for 000000441147.jpg
    writeFileSync(join(dir, '000000353536.jpg'), JPEG_B);
    writeFileSync(
      join(dir, 'qa90_questions.jsonl'),
      jsonl([
        { question_id: 0, image: '000000441147.jpg', text: 'What is the colour of the suitcases?', category: 'conv' },
        { question_id: 1, image: '000000353536.jpg', text: 'Describe the image.', category: 'detail' },
      ]),
    );
    writeFileSync(
      join(dir, 'qa90_gpt4_answer.jsonl'),
      jsonl([
        { question_id: 1, text: 'A table.', answer_id: 'x', model_id: 'gpt-4-0314' },
        { question_id: 0, text: 'Black.', answer_id: 'y', model_id: 'gpt-4-0314' },
      ]),
    );
    writeFileSync(
      join(dir, 'caps_boxes_coco2014_val_80.jsonl'),
      jsonl([
        { id: '000000441147', image: '000000441147.jpg', captions: ['Two suitcases.', 'Old luggage.'], instances: [{ category: 'suitcase', bbox: [0.1, 0.2, 0.5, 1] }] },
      ]),
    );
    const s = await loadDataset(dir);
    assert.equal(s.length, 2);
    assert.equal(s[0].id, '0');
    assert.equal(s[0].referenceAnswer, 'Black.');
    assert.equal(s[1].referenceAnswer, 'A table.');
    assert.equal(s[0].category, 'conv');
    assert.equal(s[0].context, 'Two suitcases.\nOld luggage.\n\nsuitcase: [0.1, 0.2, 0.5, 1.0]');
    assert.equal(s[1].context, undefined);
    assert.deepEqual(await readImageBytes(s[1]), JPEG_B);
    assert.ok(s[0].image.kind === 'file' && s[0].image.path.endsWith('COCO_val2014_000000441147.jpg'));
    // the questions file itself works too
    assert.equal((await loadDataset(join(dir, 'qa90_questions.jsonl'))).length, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('LLaVA-Bench in-the-wild layout with images/ and context.jsonl; errors name the place', async () => {
  const dir = tmp();
  try {
    mkdirSync(join(dir, 'images'));
    writeFileSync(join(dir, 'images', '001.jpg'), JPEG_A);
    const q = join(dir, 'questions.jsonl');
    writeFileSync(q, jsonl([{ question_id: 0, image: '001.jpg', text: 'Where is this?', category: 'conv' }]));
    writeFileSync(join(dir, 'answers_gpt4.jsonl'), jsonl([{ question_id: 0, text: 'Hawaii.' }]));
    writeFileSync(join(dir, 'context.jsonl'), jsonl([{ id: '001', image: '001.jpg', caption: 'Diamond Head.' }]));
    const s = await loadDataset(dir);
    assert.equal(s[0].context, 'Diamond Head.');
    assert.equal(s[0].referenceAnswer, 'Hawaii.');

    writeFileSync(join(dir, 'answers_gpt4.jsonl'), jsonl([{ question_id: 0, text: 'Hawaii.' }, { question_id: 7, text: 'Orphan.' }]));
    await assert.rejects(loadDataset(dir), /answers_gpt4\.jsonl:2: question_id 7 is not in .*questions\.jsonl/);
    writeFileSync(join(dir, 'answers_gpt4.jsonl'), jsonl([{ question_id: 0, text: 'Hawaii.' }]));
    writeFileSync(q, jsonl([{ question_id: 0, image: '002.jpg', text: 'Where?' }]));
    await assert.rejects(loadDataset(dir), /questions\.jsonl:1: image "002\.jpg" not found/);
    writeFileSync(q, jsonl([{ question_id: 0, image: '001.jpg' }]));
    await assert.rejects(loadDataset(dir), /questions\.jsonl:1: missing field "text"/);
    await assert.rejects(loadDataset(join(dir, 'nope')), /nope: no such file or directory/);
    const empty = tmp();
    await assert.rejects(loadDataset(empty), (e: Error) => e instanceof InputError && /not a data set/.test(e.message));
    rmSync(empty, { recursive: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
