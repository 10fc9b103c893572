/**
 * Seeded pseudo-random numbers, shared by the emulator and the app (retry jitter under
 * RANDOM_SEED). It lives outside src/harness/emulator so the app never imports emulator code.
 *
 * Hand-written on purpose: the emulator needs several independent, reproducible streams derived
 * from one scenario seed (traffic, direct scoring, provisioning, faults), and sfc32 is a tiny,
 * well-studied generator (PractRand-clean) that fits in a dozen lines. A runtime dependency for
 * this would buy nothing; `Math.random` cannot be seeded at all.
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max] (both inclusive). */
  int(min: number, max: number): number;
  /** Standard normal N(0, 1) (Box-Muller; one value per call keeps streams easy to reason about). */
  normal(): number;
  /** 32 random hex digits, for ids (request ids, operation ids, keys). */
  hex(length: number): string;
}

/** Mixes a seed and a stream name into four 32-bit words (cyrb128-style string hash). */
function seedWords(seed: number, stream: string): [number, number, number, number] {
  const text = `${seed}:${stream}`;
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  return [(h1 ^ h2 ^ h3 ^ h4) >>> 0, (h2 ^ h1) >>> 0, (h3 ^ h1) >>> 0, (h4 ^ h1) >>> 0];
}

/** An independent stream per (seed, stream name): draws in one stream never shift another. */
export function createRandom(seed: number, stream: string): Random {
  let [a, b, c, d] = seedWords(seed, stream);
  const next = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  // Warm up: the first outputs of sfc32 correlate with the seed words.
  for (let i = 0; i < 12; i++) next();
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    normal: () => {
      const u1 = Math.max(next(), Number.EPSILON);
      const u2 = next();
      return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    },
    hex: (length) => {
      let out = '';
      while (out.length < length)
        out += Math.floor(next() * 4294967296)
          .toString(16)
          .padStart(8, '0');
      return out.slice(0, length);
    },
  };
}

/** A GUID-shaped id from a random stream (Azure ids look like this). */
export function randomGuid(random: Random): string {
  const h = random.hex(32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
