/**
 * What a command prints: lines for people, or one JSON document for scripts (--json), on stdout;
 * errors on stderr. Every text goes through `scrub` first: the credentials the command was given in
 * the environment never appear in any output, whatever a library put in a message.
 */
export class CliOutput {
  private readonly secrets: string[];

  constructor(
    readonly json: boolean,
    raw: Record<string, string | undefined>,
    private readonly stdout: (text: string) => void = (text) => void process.stdout.write(text),
    private readonly stderr: (text: string) => void = (text) => void process.stderr.write(text),
  ) {
    this.secrets = ['R2_ACCESS_KEY_ID', 'R2_SECRET_ACCESS_KEY', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'SENTINEL_MASTER_KEY']
      .map((name) => raw[name] ?? '')
      .filter((value) => value.length >= 4);
  }

  /** A line for people; nothing with --json. */
  line(text = ''): void {
    if (!this.json) this.stdout(`${this.scrub(text)}\n`);
  }

  /** The document for scripts; nothing without --json. */
  document(value: unknown): void {
    if (this.json) this.stdout(`${this.scrub(JSON.stringify(value, null, 2))}\n`);
  }

  /** A failure already reported in the document: one line on stderr only. */
  problem(message: string): void {
    this.stderr(`sentinel-backup: ${this.scrub(message)}\n`);
  }

  /** An error: one line on stderr, and with --json a document saying so on stdout. */
  error(message: string, exitCode: number): void {
    this.stderr(`sentinel-backup: ${this.scrub(message)}\n`);
    this.document({ ok: false, exit_code: exitCode, error: message });
  }

  scrub(text: string): string {
    let out = text;
    for (const secret of this.secrets) out = out.split(secret).join('***');
    return out;
  }
}
