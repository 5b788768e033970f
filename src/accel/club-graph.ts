/**
 * The CLUB network (DESIGN.md §2) as ONNX nodes, shared by the inference graph
 * (club-moments.ts) and the training graph (club-train.ts):
 *   a1 = tanh(x·W1ᵀ + b1), μ = a1·W2ᵀ + b2,  a3 = tanh(x·W3ᵀ + b3), lv = [tanh](a3·W4ᵀ + b4).
 * Inputs are named x, mu_w1, mu_b1, mu_w2, mu_b2, lv_w1, lv_b1, lv_w2, lv_b2; the hidden
 * activations a1 and a3 keep their names so a backward pass can use them.
 */
import type { OnnxNode } from '../io/onnx-proto.js';

export function clubForwardNodes(boundedLogvar: boolean, outputs: { readonly mu: string; readonly logvar: string }): OnnxNode[] {
  const t = { transB: { i: 1 } };
  const nodes: OnnxNode[] = [
    { op: 'Gemm', inputs: ['x', 'mu_w1', 'mu_b1'], outputs: ['mu_h'], attrs: t },
    { op: 'Tanh', inputs: ['mu_h'], outputs: ['a1'] },
    { op: 'Gemm', inputs: ['a1', 'mu_w2', 'mu_b2'], outputs: [outputs.mu], attrs: t },
    { op: 'Gemm', inputs: ['x', 'lv_w1', 'lv_b1'], outputs: ['lv_h'], attrs: t },
    { op: 'Tanh', inputs: ['lv_h'], outputs: ['a3'] },
    { op: 'Gemm', inputs: ['a3', 'lv_w2', 'lv_b2'], outputs: [boundedLogvar ? 'lv_raw' : outputs.logvar], attrs: t },
  ];
  if (boundedLogvar) nodes.push({ op: 'Tanh', inputs: ['lv_raw'], outputs: [outputs.logvar] });
  return nodes;
}
