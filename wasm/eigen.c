/*
 * Eigenvalues of a real symmetric matrix, float64, values only, for WebAssembly with SIMD
 * (built by wasm/build.sh; loaded by src/accel/eigen-wasm.ts; same algorithm as the plain-JS
 * solver in src/core/eigen.ts, which is the reference the tests compare against).
 *
 * 1. Householder tridiagonalisation of the lower triangle (LAPACK dsytd2, Golub & Van Loan
 *    §8.3.1). Each step's rank-2 update A ← A − v·wᵀ − w·vᵀ is fused with the next step's
 *    symmetric product p = A·v′ in one pass over the trailing rows, two rows at a time, so the
 *    matrix streams through the cache once per step instead of twice (the BLAS-2 half of
 *    dsytrd is memory-bound; this halves its traffic).
 * 2. Root-free implicit QL with Wilkinson shifts on the tridiagonal matrix (Pal–Walker–Kahan,
 *    as LAPACK's dsterf; core/eigen.ts uses the classic tql1 with square roots).
 *
 * Row-major n×n input, only the lower triangle is read; it is overwritten.
 * No libc: sqrt and fabs compile to single WebAssembly instructions.
 */
#include <wasm_simd128.h>

typedef __SIZE_TYPE__ size_t;

static inline double dabs(double x) { return __builtin_fabs(x); }
static inline double dsqrt(double x) { return __builtin_sqrt(x); }

/*
 * Householder reflector for the column x = a[(i+1..n-1)*n + i]: H = I − τ·v·vᵀ with v[0] = 1,
 * H·x = β·e₁. Writes v (length m), returns τ (0 when x is already reduced) and β in *beta.
 */
static double reflector(const double *a, int n, int i, double *v, double *beta) {
  int m = n - i - 1;
  double alpha = a[(size_t)(i + 1) * n + i];
  double xnorm2 = 0;
  for (int k = i + 2; k < n; k++) {
    double x = a[(size_t)k * n + i];
    xnorm2 += x * x;
  }
  if (xnorm2 == 0) {
    *beta = alpha;
    return 0;
  }
  double b = dsqrt(alpha * alpha + xnorm2);
  if (alpha >= 0) b = -b;
  double tau = (b - alpha) / b;
  double scale = 1 / (alpha - b);
  v[0] = 1;
  for (int k = 1; k < m; k++) v[k] = a[(size_t)(i + 1 + k) * n + i] * scale;
  *beta = b;
  return tau;
}

/* w = τ·p − (τ/2)(τ·pᵀv)·v, in place on p. */
static void finish_w(double *p, const double *v, int m, double tau) {
  double pv = 0;
  for (int k = 0; k < m; k++) {
    p[k] *= tau;
    pv += p[k] * v[k];
  }
  double half = 0.5 * tau * pv;
  for (int k = 0; k < m; k++) p[k] -= half * v[k];
}

/*
 * Rows r0..n−1 of the trailing block starting at column c0 (the block's local index 0 is
 * row/column c0). If `upd`: first a[r][c] −= v[r]·w[c] + w[r]·v[c] (v, w indexed from c0 − off
 * where off = 1: the update belongs to the previous step, whose block started one row earlier).
 * Then p += A·u over the block (lower-triangle symmetric product), u and p indexed from c0.
 */
static void fused_pass(double *a, int n, int c0, const double *vp, const double *wp, int upd, const double *u, double *p) {
  int m = n - c0;
  for (int k = 0; k < m; k++) p[k] = 0;
  int r = 0;
  for (; r + 2 <= m; r += 2) {
    double *row0 = a + (size_t)(c0 + r) * n + c0;
    double *row1 = row0 + n;
    double v0 = upd ? vp[r] : 0, w0 = upd ? wp[r] : 0;
    double v1 = upd ? vp[r + 1] : 0, w1 = upd ? wp[r + 1] : 0;
    double u0 = u[r], u1 = u[r + 1];
    v128_t V0 = wasm_f64x2_splat(v0), W0 = wasm_f64x2_splat(w0);
    v128_t V1 = wasm_f64x2_splat(v1), W1 = wasm_f64x2_splat(w1);
    v128_t U0 = wasm_f64x2_splat(u0), U1 = wasm_f64x2_splat(u1);
    v128_t S0 = wasm_f64x2_splat(0), S1 = wasm_f64x2_splat(0);
    int c = 0;
    if (upd) {
      for (; c + 2 <= r; c += 2) {
        v128_t vc = wasm_v128_load(vp + c), wc = wasm_v128_load(wp + c), uc = wasm_v128_load(u + c);
        v128_t x0 = wasm_v128_load(row0 + c), x1 = wasm_v128_load(row1 + c);
        x0 = wasm_f64x2_sub(x0, wasm_f64x2_add(wasm_f64x2_mul(V0, wc), wasm_f64x2_mul(W0, vc)));
        x1 = wasm_f64x2_sub(x1, wasm_f64x2_add(wasm_f64x2_mul(V1, wc), wasm_f64x2_mul(W1, vc)));
        wasm_v128_store(row0 + c, x0);
        wasm_v128_store(row1 + c, x1);
        S0 = wasm_f64x2_add(S0, wasm_f64x2_mul(x0, uc));
        S1 = wasm_f64x2_add(S1, wasm_f64x2_mul(x1, uc));
        v128_t pc = wasm_v128_load(p + c);
        pc = wasm_f64x2_add(pc, wasm_f64x2_add(wasm_f64x2_mul(x0, U0), wasm_f64x2_mul(x1, U1)));
        wasm_v128_store(p + c, pc);
      }
    } else {
      for (; c + 2 <= r; c += 2) {
        v128_t uc = wasm_v128_load(u + c);
        v128_t x0 = wasm_v128_load(row0 + c), x1 = wasm_v128_load(row1 + c);
        S0 = wasm_f64x2_add(S0, wasm_f64x2_mul(x0, uc));
        S1 = wasm_f64x2_add(S1, wasm_f64x2_mul(x1, uc));
        v128_t pc = wasm_v128_load(p + c);
        pc = wasm_f64x2_add(pc, wasm_f64x2_add(wasm_f64x2_mul(x0, U0), wasm_f64x2_mul(x1, U1)));
        wasm_v128_store(p + c, pc);
      }
    }
    double s0 = wasm_f64x2_extract_lane(S0, 0) + wasm_f64x2_extract_lane(S0, 1);
    double s1 = wasm_f64x2_extract_lane(S1, 0) + wasm_f64x2_extract_lane(S1, 1);
    for (; c < r; c++) {
      double x0 = row0[c], x1 = row1[c];
      if (upd) {
        x0 -= v0 * wp[c] + w0 * vp[c];
        x1 -= v1 * wp[c] + w1 * vp[c];
        row0[c] = x0;
        row1[c] = x1;
      }
      s0 += x0 * u[c];
      s1 += x1 * u[c];
      p[c] += x0 * u0 + x1 * u1;
    }
    /* The 2×2 diagonal block: (r, r), (r+1, r), (r+1, r+1). */
    double d0 = row0[r], e1 = row1[r], d1 = row1[r + 1];
    if (upd) {
      d0 -= 2 * v0 * w0;
      e1 -= v1 * w0 + w1 * v0;
      d1 -= 2 * v1 * w1;
      row0[r] = d0;
      row1[r] = e1;
      row1[r + 1] = d1;
    }
    p[r] += s0 + d0 * u0 + e1 * u1;
    p[r + 1] += s1 + e1 * u0 + d1 * u1;
  }
  for (; r < m; r++) {
    double *row0 = a + (size_t)(c0 + r) * n + c0;
    double v0 = upd ? vp[r] : 0, w0 = upd ? wp[r] : 0, u0 = u[r];
    double s0 = 0;
    for (int c = 0; c < r; c++) {
      double x0 = row0[c];
      if (upd) {
        x0 -= v0 * wp[c] + w0 * vp[c];
        row0[c] = x0;
      }
      s0 += x0 * u[c];
      p[c] += x0 * u0;
    }
    double d0 = row0[r];
    if (upd) {
      d0 -= 2 * v0 * w0;
      row0[r] = d0;
    }
    p[r] += s0 + d0 * u0;
  }
}

/* Remaining update of column c0 (rows c0..n−1) by the previous step's v, w (indexed from c0 − 1 + 1). */
static void update_column(double *a, int n, int c0, const double *vp, const double *wp) {
  double vc = vp[0], wc = wp[0];
  for (int r = c0; r < n; r++) {
    int k = r - c0;
    a[(size_t)r * n + c0] -= vp[k] * wc + wp[k] * vc;
  }
}

/*
 * Tridiagonalise: d (n) diagonal, e (n) sub-diagonal (e[k] between k and k+1, e[n−1] = 0).
 * work: 4n doubles (v, w of the previous step, v′, p′).
 */
static void tridiagonalize(double *a, int n, double *d, double *e, double *work) {
  double *v = work, *w = work + n, *v2 = work + 2 * n, *p2 = work + 3 * n;
  int have = 0; /* whether v, w hold the previous step's reflector (block starting at row i). */
  for (int i = 0; i < n - 2; i++) {
    int m = n - i - 1;
    if (have) {
      /* Column i of the block that started at row i (local index 0 = row/column i): finish its update. */
      update_column(a, n, i, v, w);
    }
    d[i] = a[(size_t)i * n + i];
    double beta;
    double tau = reflector(a, n, i, v2, &beta);
    e[i] = beta;
    /* Trailing block rows/columns i+1..n−1. If the previous step's update is pending there (have),
     * it is applied in the same pass (v, w shifted by one: they start at row i). */
    if (tau == 0) {
      if (have) {
        /* Apply the pending update alone (u = 0 contributes nothing). */
        for (int k = 0; k < m; k++) v2[k] = 0;
        fused_pass(a, n, i + 1, v + 1, w + 1, 1, v2, p2);
      }
      have = 0;
      continue;
    }
    fused_pass(a, n, i + 1, v + 1, w + 1, have, v2, p2);
    finish_w(p2, v2, m, tau);
    /* Now v, w ← v2, w2 for the block starting at row i+1. */
    for (int k = 0; k < m; k++) {
      v[k] = v2[k];
      w[k] = p2[k];
    }
    have = 1;
  }
  if (have) update_column(a, n, n - 2, v, w);
  if (have) {
    /* (n−1, n−1) lies in the pending block too. */
    double vl = v[1], wl = w[1];
    a[(size_t)(n - 1) * n + n - 1] -= 2 * vl * wl;
  }
  d[n - 2] = a[(size_t)(n - 2) * n + n - 2];
  e[n - 2] = a[(size_t)(n - 1) * n + n - 2];
  d[n - 1] = a[(size_t)(n - 1) * n + n - 1];
  e[n - 1] = 0;
}

/* Eigenvalues of [[a, b], [b, c]] into *r1, *r2 (the larger-magnitude one first, the other from the determinant). */
static void eig2(double a, double b, double c, double *r1, double *r2) {
  double sm = a + c, df = a - c;
  double rt = dsqrt(df * df + 4 * b * b);
  double big = sm >= 0 ? 0.5 * (sm + rt) : 0.5 * (sm - rt);
  *r1 = big;
  *r2 = big != 0 ? (a * c - b * b) / big : 0.5 * (sm >= 0 ? sm - rt : sm + rt);
}

/*
 * Root-free implicit QL (Pal, Walker & Kahan; the iteration of LAPACK's dsterf) on the
 * tridiagonal d, e: the off-diagonal enters only squared, so each rotation costs two
 * divisions and no square root. Deflation when |e_k| ≤ ε‖T‖ (as core/eigen.ts: by Weyl's
 * inequality every eigenvalue moves by at most ε‖T‖, the backward error of the reduction;
 * a purely relative test can stall on clusters of near-zero eigenvalues). Entries must be
 * below 1e150 in magnitude (their squares are formed). Returns 0, or −1 after 30n sweeps.
 */
static int pwk_ql(double *d, double *e, int n) {
  double anorm = 0;
  for (int i = 0; i < n; i++) {
    double t = dabs(d[i]) + dabs(e[i]);
    if (t > anorm) anorm = t;
  }
  double tol = 2.220446049250313e-16 * anorm;
  double tol2 = tol * tol;
  for (int i = 0; i < n - 1; i++) e[i] = e[i] * e[i];
  e[n - 1] = 0;
  int sweeps = 0, maxSweeps = 30 * n;
  int l = 0;
  while (l < n) {
    int m;
    for (m = l; m < n - 1; m++) if (e[m] <= tol2) break;
    if (m == l) {
      l++;
      continue;
    }
    if (m == l + 1) {
      double r1, r2;
      eig2(d[l], dsqrt(e[l]), d[l + 1], &r1, &r2);
      d[l] = r1;
      d[l + 1] = r2;
      e[l] = 0;
      l += 2;
      continue;
    }
    if (sweeps++ == maxSweeps) return -1;
    /* Wilkinson shift from the leading 2×2 of the block. */
    double p = d[l];
    double rte = dsqrt(e[l]);
    double sigma = (d[l + 1] - p) / (2 * rte);
    double r = dsqrt(sigma * sigma + 1);
    sigma = p - rte / (sigma + (sigma >= 0 ? r : -r));
    double c = 1, s = 0;
    double gamma = d[m] - sigma;
    p = gamma * gamma;
    for (int i = m - 1; i >= l; i--) {
      double bb = e[i];
      r = p + bb;
      if (i != m - 1) e[i + 1] = s * r;
      double oldc = c;
      c = p / r;
      s = bb / r;
      double oldgam = gamma;
      double alpha = d[i];
      gamma = c * (alpha - sigma) - s * oldgam;
      d[i + 1] = oldgam + (alpha - gamma);
      p = c != 0 ? (gamma * gamma) / c : oldc * bb;
    }
    e[l] = s * p;
    d[l] = sigma + gamma;
  }
  return 0;
}

/*
 * Eigenvalues (unordered) of the symmetric n×n matrix at `a` into `out` (n doubles).
 * `work` holds 5n doubles. Returns 0 on success, −1 if QL did not converge.
 */
__attribute__((export_name("eigvalsh")))
int eigvalsh(double *a, int n, double *out, double *work) {
  if (n <= 0) return 0;
  if (n == 1) {
    out[0] = a[0];
    return 0;
  }
  double *e = work;
  tridiagonalize(a, n, out, e, work + n);
  return pwk_ql(out, e, n);
}
