/**
 * The slice of jstat (1.9.x, no bundled types) the analysis module uses. Declared here rather
 * than pulling @types/jstat so the surface we depend on is explicit and small.
 */
declare module 'jstat' {
  export const jStat: {
    normal: {
      cdf(x: number, mean: number, sd: number): number;
      inv(p: number, mean: number, sd: number): number;
    };
    /** Regularised incomplete beta function I_x(a, b). */
    ibeta(x: number, a: number, b: number): number;
    /** Inverse of I_x(a, b) in x. */
    ibetainv(p: number, a: number, b: number): number;
  };
}
