/**
 * The results of a whole study (`mllmshift run`, `mllmshift demo`): `results.json`, read by
 * the HTML report. It carries the authors' keys (`EMI`, `EMID`, `EMID_UB`, `PearsonR`,
 * `PearsonPval`) so their analysis code can read it, plus per-scenario detail, judge scores,
 * intervals and correlations.
 */

/** A correlation between two per-scenario quantities, with two-sided p-values. */
export interface CorrelationSummary {
  readonly n: number;
  readonly pearson: { readonly r: number | null; readonly p: number | null };
  readonly spearman: { readonly rho: number | null; readonly p: number | null };
  readonly kendall: { readonly tau: number | null; readonly p: number | null };
}

export type Interval = readonly [number, number];

/** A p-value adjusted for multiplicity across the scenarios of a run. */
export interface AdjustedP {
  readonly holm: number;
  readonly bh: number;
}

export interface ScenarioResult {
  /** Scenario name, e.g. `llava_bench_coco_defocus_blur_3_sr_7`. */
  readonly name: string;
  /** 'id' for the in-distribution set. */
  readonly modality: 'id' | 'visual' | 'text' | 'joint';
  readonly visualShift: string | null;
  readonly visualSeverity: number | null;
  readonly textShift: string | null;
  readonly textSeverity: number | null;
  readonly n: number;
  readonly emi: number;
  readonly emiCi95: Interval | null;
  /** null for the ID set. */
  readonly emid: number | null;
  readonly emidCi95: Interval | null;
  /** Permutation p-value of EMID ≠ 0. */
  readonly emidPValue: number | null;
  /** emidPValue adjusted across the run's OOD scenarios (Holm 1979: FWER; Benjamini–Hochberg 1995: FDR). */
  readonly emidPValueAdjusted: AdjustedP | null;
  readonly jsd: { readonly visual: number; readonly text: number; readonly idOutput: number; readonly oodOutput: number } | null;
  readonly bound: number | null;
  /** EMID ≤ bound (null for the ID set). */
  readonly boundHolds: boolean | null;
  /** LLM-judge scores, when a judge ran. */
  readonly judge: {
    readonly relativePreference: number;
    readonly relativePreferenceCi95: Interval | null;
    readonly winRate: number;
    /** Wilson score interval of the win rate (ties count ½). */
    readonly winRateCi95: Interval | null;
    /** Items the model won, tied (each counted ½ in the win rate, as LLaVA's summary) and lost; null in older files. */
    readonly wins: number | null;
    readonly ties: number | null;
    readonly losses: number | null;
    readonly judged: number;
    readonly failed: number;
    /** Permutation p-value that the judge's (model − reference) score differs from the ID set's (null for the ID set). */
    readonly differencePValue: number | null;
    /** differencePValue adjusted across the run's judged OOD scenarios. */
    readonly differencePValueAdjusted: AdjustedP | null;
  } | null;
  /** Known accuracy of a simulated model (demo only). */
  readonly simulatedAccuracy: number | null;
}

export interface ExampleResponse {
  readonly scenario: string;
  readonly id: string;
  readonly question: string;
  readonly response: string;
  readonly reference: string;
}

export interface RunResults {
  readonly version: string;
  /** ISO 8601 time the results were written. */
  readonly created: string;
  readonly run: {
    readonly name: string;
    readonly model: string;
    readonly idScenario: string;
    readonly encoders: string;
    readonly estimator: string;
    readonly bound: 'scale-adjusted' | 'full';
    readonly jsdMixture: 'equal' | 'sample-weighted';
    /** True for `mllmshift demo`: a simulation demonstrating the pipeline. */
    readonly simulated: boolean;
    /** What the results were read from: a study (`run`/`demo`), `emid --json` output, or the authors' result file. */
    readonly source: 'run' | 'emid' | 'authors';
    /**
     * 'score' when the estimator is the paper's CLUB (tanh-bounded log-variance: its EMI is a
     * monotone score, DESIGN.md §2 "Calibration"), 'nats' for a calibrated estimator.
     */
    readonly emiUnit: 'score' | 'nats';
    readonly notes: readonly string[];
  };
  // The authors' keys.
  readonly EMI: Readonly<Record<string, number>>;
  readonly EMID: Readonly<Record<string, number>>;
  readonly EMID_UB: Readonly<Record<string, number>>;
  readonly PearsonR: number | null;
  readonly PearsonPval: number | null;
  /** null when the source holds no null baseline (the authors' result files). */
  readonly JSD_null: { readonly visual: number; readonly text: number; readonly output: number; readonly halfSize: number } | null;
  readonly scenarios: readonly ScenarioResult[];
  readonly correlations: {
    readonly emidVsBound: CorrelationSummary;
    readonly emiVsRelativePreference: CorrelationSummary | null;
    readonly emiVsWinRate: CorrelationSummary | null;
    readonly emiVsSimulatedAccuracy: CorrelationSummary | null;
  };
  readonly boundHoldsEverywhere: boolean;
  /** A few responses to show in the report (model text: always escaped when rendered). */
  readonly examples: readonly ExampleResponse[];
}

/** One sample of "why it hurts": the same question in the ID set and under a shift. */
export interface HurtSample {
  readonly id: string;
  /** Positive: worse under the shift (judge points, or the sample's contribution to EMID). */
  readonly drop: number;
  readonly category: string | null;
  readonly reference: string | null;
  readonly inDistribution: HurtSide;
  readonly shifted: HurtSide;
}

export interface HurtSide {
  readonly question: string;
  readonly answer: string | null;
  /** data: URI of a JPEG thumbnail, or null when the image could not be read. */
  readonly thumbnail: string | null;
  readonly referenceScore: number | null;
  readonly modelScore: number | null;
  readonly review: string | null;
}

/** Per OOD scenario, the samples with the largest drop. */
export interface WhyItHurts {
  readonly kind: 'judge' | 'emid-contribution';
  readonly scenarios: readonly { readonly scenario: string; readonly samples: readonly HurtSample[] }[];
}

/** Renders the report page of results (html.ts renderReportHtml; loaded on demand by the CLI). */
export type RenderReport = (results: RunResults, options?: { readonly whyItHurts?: WhyItHurts | null }) => string;
