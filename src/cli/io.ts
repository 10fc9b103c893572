/** What the CLI reads and writes, injected so tests drive it without a process (own module: the commands and the program share it without an import cycle). */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env(name: string): string | undefined;
  /** Whether stdout is a terminal (colors, redrawing watch). */
  readonly isTTY: boolean;
  /** Stops `watch` early (tests, Ctrl-C). */
  readonly signal?: AbortSignal;
}
