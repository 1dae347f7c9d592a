/**
 * L2-regularised logistic-regression probe per layer.
 *
 * Residual streams have D in the thousands and we rarely have more than a few hundred samples, so the
 * fit is done in the n-dimensional dual (w = Zᵀα, by the representer theorem) with Newton steps:
 * an n x n solve instead of a D x D one, exact and fast to converge. Cost O(n²D + iters·n³), fine up to ~1000 samples.
 * Features are centred and scaled by one global factor (not per feature) so the direction keeps the
 * residual stream's geometry and can be used for steering. The intercept is an extra constant feature
 * (lightly penalised, as liblinear does) which keeps the problem in the same dual form.
 */
import { EngineError } from '../../shared/errors';
import { createRng, shuffled } from '../../shared/rng';
import { dot, rowCount, rowOf, unit } from '../../shared/linalg';

export interface ProbeOptions {
  /**
   * L2 strength on the standardised weights (mean-loss objective). Default 0.1: on few, nearly separable samples
   * a weak penalty lets the weights chase noise; 0.1 keeps the direction stable while still using the covariance.
   */
  l2?: number;
  /** Fraction of each class held out for evaluation. Default 0.25. */
  testFraction?: number;
  seed?: number;
  maxIter?: number;
}

export interface ProbeResult {
  /** Unit vector in activation space pointing towards the positive class. */
  direction: Float32Array;
  /** logit(x) = scale * (direction · x) + bias. */
  scale: number;
  bias: number;
  trainAccuracy: number;
  heldOutAccuracy: number;
  heldOutAuroc: number;
  counts: { train: number; heldOut: number };
  iterations: number;
}

/**
 * Area under the ROC curve by the rank-sum (Mann-Whitney) formula with average ranks for ties,
 * i.e. P(score+ > score-) + ½ P(score+ = score-). NaN when a class is missing.
 */
export function auroc(scores: readonly number[], labels: readonly boolean[]): number {
  if (scores.length !== labels.length) throw new EngineError('bad-input', 'auroc: scores and labels differ in length.');
  const idx = scores.map((_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let rankSumPos = 0;
  let nPos = 0;
  // Stryker disable next-line EqualityOperator: an extra pass at i = length reads undefined labels, which add nothing
  for (let i = 0; i < idx.length; ) {
    let j = i;
    // Stryker disable next-line ConditionalExpression,EqualityOperator,ArithmeticOperator: past the end scores[undefined] is undefined, never === a score, so the bound check never decides alone
    while (j + 1 < idx.length && scores[idx[j + 1]] === scores[idx[i]]) j++;
    const avgRank = (i + j) / 2 + 1; // ranks are 1-based; tied block i..j shares the average
    for (let k = i; k <= j; k++) if (labels[idx[k]]) { rankSumPos += avgRank; nPos++; }
    i = j + 1;
  }
  const nNeg = labels.length - nPos;
  // Stryker disable next-line ConditionalExpression,LogicalOperator: with a class missing the formula is 0 / 0 = NaN anyway (rank sum equals nPos(nPos+1)/2 when all are positive)
  if (nPos === 0 || nNeg === 0) return NaN;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

interface Split { trainPos: number[]; testPos: number[]; trainNeg: number[]; testNeg: number[] }

/** Stratified so both classes appear on both sides; same seed → same split on every layer. */
function split(nPos: number, nNeg: number, frac: number, seed: number): Split {
  const rng = createRng(seed);
  const cut = (n: number): [number[], number[]] => {
    const order = shuffled(Array.from({ length: n }, (_, i) => i), rng);
    const nTest = Math.min(n - 1, Math.max(1, Math.round(n * frac)));
    return [order.slice(nTest), order.slice(0, nTest)];
  };
  const [trainPos, testPos] = cut(nPos);
  const [trainNeg, testNeg] = cut(nNeg);
  return { trainPos, testPos, trainNeg, testNeg };
}

/** Solve A x = b in place (A is n x n row-major), Gaussian elimination with partial pivoting. */
function solve(A: Float64Array, b: Float64Array, n: number): Float64Array {
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(A[r * n + c]) > Math.abs(A[p * n + c])) p = r;
    if (p !== c) {
      for (let k = 0; k < n; k++) [A[c * n + k], A[p * n + k]] = [A[p * n + k], A[c * n + k]];
      [b[c], b[p]] = [b[p], b[c]];
    }
    const piv = A[c * n + c];
    for (let r = c + 1; r < n; r++) {
      const f = A[r * n + c] / piv;
      if (f === 0) continue;
      for (let k = c; k < n; k++) A[r * n + k] -= f * A[c * n + k];
      b[r] -= f * b[c];
    }
  }
  const x = new Float64Array(n);
  for (let r = n - 1; r >= 0; r--) {
    let s = b[r];
    for (let k = r + 1; k < n; k++) s -= A[r * n + k] * x[k];
    x[r] = s / A[r * n + r];
  }
  return x;
}

const log1pExp = (t: number): number => (t > 0 ? t + Math.log1p(Math.exp(-t)) : Math.log1p(Math.exp(t)));
const sigmoid = (t: number): number => (t >= 0 ? 1 / (1 + Math.exp(-t)) : Math.exp(t) / (1 + Math.exp(t)));

/** Newton's method on the dual coefficients α for mean logistic loss + (λ/2)|w|², w = Zᵀα. */
function fitDual(K: Float64Array, y: Float64Array, n: number, lambda: number, maxIter: number): [Float64Array, number] {
  let alpha = new Float64Array(n);
  const fOf = (a: Float64Array): Float64Array => {
    const f = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) f[i] += K[i * n + k] * a[k];
    return f;
  };
  const objective = (a: Float64Array, f: Float64Array): number => {
    let loss = 0;
    for (let i = 0; i < n; i++) loss += log1pExp(-y[i] * f[i]);
    return loss / n + (lambda / 2) * dot(a, f);
  };
  let f = fOf(alpha);
  let J = objective(alpha, f);
  let it = 0;
  for (; it < maxIter; it++) {
    // Gradient is K(g/n + λα); the Newton system K(WK/n + λI)Δ = -K(g/n + λα) is solved by (WK/n + λI)Δ = -(g/n + λα).
    const A = new Float64Array(n * n);
    const rhs = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const s = sigmoid(f[i]);
      const g = -y[i] * sigmoid(-y[i] * f[i]);
      rhs[i] = -(g / n + lambda * alpha[i]);
      const w = (s * (1 - s)) / n;
      for (let k = 0; k < n; k++) A[i * n + k] = w * K[i * n + k];
      A[i * n + i] += lambda;
    }
    const step = solve(A, rhs, n);
    // Backtracking keeps every step a descent step even far from the optimum.
    let t = 1;
    let next = alpha;
    let fNext = f;
    let JNext = J;
    for (let tries = 0; tries < 30; tries++, t /= 2) {
      next = alpha.map((a, i) => a + t * step[i]);
      fNext = fOf(next);
      JNext = objective(next, fNext);
      if (JNext <= J) break;
    }
    const gain = J - JNext;
    alpha = next;
    f = fNext;
    J = JNext;
    if (gain <= 1e-12 * Math.max(1, Math.abs(J))) { it++; break; }
  }
  return [alpha, it];
}

/** Train on one layer's pooled activations: pos and neg are [N, D]. */
export function trainProbe(pos: Float32Array, neg: Float32Array, D: number, opts: ProbeOptions = {}): ProbeResult {
  const nP = rowCount(pos, D, 'probe positives');
  const nN = rowCount(neg, D, 'probe negatives');
  if (nP < 2 || nN < 2) throw new EngineError('bad-input', `A probe needs at least 2 samples per class (got ${nP} positive, ${nN} negative).`);
  const s = split(nP, nN, opts.testFraction ?? 0.25, opts.seed ?? 0);
  const rows = (idx: number[], m: Float32Array): Float32Array[] => idx.map((i) => rowOf(m, D, i));
  const train = [...rows(s.trainPos, pos), ...rows(s.trainNeg, neg)];
  const y = Float64Array.from(train, (_, i) => (i < s.trainPos.length ? 1 : -1));
  const n = train.length;

  // Centre and globally scale: typical |z|² ≈ D, so one λ works across layers of very different norms.
  const mu = new Float64Array(D);
  for (const r of train) for (let j = 0; j < D; j++) mu[j] += r[j] / n;
  const Z = train.map((r) => Float64Array.from(r, (v, j) => v - mu[j]));
  let ss = 0;
  for (const z of Z) ss += dot(z, z);
  const sc = ss > 0 ? Math.sqrt(ss / (n * D)) : 1;
  for (const z of Z) for (let j = 0; j < D; j++) z[j] /= sc;
  const c2 = D; // constant feature √D: the intercept gets a penalty D times weaker than a weight.

  const K = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let k = i; k < n; k++) K[i * n + k] = K[k * n + i] = dot(Z[i], Z[k]) + c2;
  const [alpha, iterations] = fitDual(K, y, n, opts.l2 ?? 0.1, opts.maxIter ?? 50);

  const wz = new Float64Array(D);
  let asum = 0;
  for (let i = 0; i < n; i++) {
    asum += alpha[i];
    for (let j = 0; j < D; j++) wz[j] += alpha[i] * Z[i][j];
  }
  const direction = unit(wz);
  const wnorm = Math.sqrt(dot(wz, wz));
  const scale = wnorm / sc;
  const bias = c2 * asum - dot(wz, mu) / sc;

  const logit = (x: Float32Array): number => scale * dot(direction, x) + bias;
  const accuracy = (p: Float32Array[], q: Float32Array[]): number =>
    (p.filter((x) => logit(x) > 0).length + q.filter((x) => logit(x) <= 0).length) / (p.length + q.length);
  const testP = rows(s.testPos, pos);
  const testN = rows(s.testNeg, neg);
  const testScores = [...testP, ...testN].map(logit);
  const testLabels = testScores.map((_, i) => i < testP.length);
  return {
    direction,
    scale,
    bias,
    trainAccuracy: accuracy(rows(s.trainPos, pos), rows(s.trainNeg, neg)),
    heldOutAccuracy: accuracy(testP, testN),
    heldOutAuroc: auroc(testScores, testLabels),
    counts: { train: n, heldOut: testP.length + testN.length },
    iterations,
  };
}

/** One probe per layer with the same split (same seed), so held-out scores compare across layers. */
export function probeByLayer(pos: Float32Array[], neg: Float32Array[], D: number, opts: ProbeOptions = {}): ProbeResult[] {
  if (pos.length !== neg.length) throw new EngineError('bad-input', 'probeByLayer: both classes need the same number of layers.');
  return pos.map((p, l) => trainProbe(p, neg[l], D, opts));
}
