/**
 * `npm run bench -- <name> [args...]`: runs one named benchmark (from dist). Add a line to BENCHES
 * to register another one.
 */
interface Bench {
  readonly description: string;
  readonly run: (args: string[]) => Promise<void>;
}

const BENCHES: Record<string, Bench> = {
  runtime: {
    description: 'local runtime: orchestration throughput, replay cost, memory (virtual clock)',
    run: async (args) => (await import('./runtime.js')).main(args),
  },
  evaluate: {
    description: 'policy evaluation: 1,000 fast-path runs of the example canary (goal < 30 s CPU), adaptive bakes vs fixed',
    run: async (args) => (await import('./evaluate.js')).main(args),
  },
  'status-size': {
    description:
      "the rollout status's size per scenario (UTF-16 KB, as Durable Functions counts its 16 KB custom status limit) and the evidence history's share",
    run: async (args) => (await import('./status-size.js')).main(args),
  },
  engine: {
    description: "the rollout engine's cost: microseconds per advance, and an execution's replay (every prefix re-run, as the host does)",
    run: async (args) => (await import('./engine.js')).main(args),
  },
  judge: {
    description: 'the example policies judged three ways: aml-rollout gates, Argo Rollouts-style, Kayenta-style',
    run: async (args) => (await import('./judge.js')).main(args),
  },
};

async function main(argv: string[]): Promise<void> {
  const [name, ...args] = argv;
  const bench = name ? BENCHES[name] : undefined;
  if (!bench) {
    const list = Object.entries(BENCHES)
      .map(([key, value]) => `  ${key.padEnd(12)} ${value.description}`)
      .join('\n');
    console.error(`${name ? `unknown benchmark "${name}"` : 'no benchmark named'}; available:\n${list}`);
    process.exitCode = 2;
    return;
  }
  await bench.run(args);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
});
