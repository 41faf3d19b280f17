import { formatBytes } from '../../common/format.js';
import type { ParsedCommand } from '../cli-arguments.js';
import { EXIT, type ExitCode } from '../cli-exit.js';
import type { CliOutput } from '../cli-output.js';
import { openBackupSource } from '../backup-locations.js';

/** "3 h 12 min", "2 d 4 h": how long ago, to the unit that matters. */
export function formatAge(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** `list`: the backups of the place, newest first. */
export async function listCommand(command: ParsedCommand, raw: Record<string, string | undefined>, out: CliOutput): Promise<ExitCode> {
  const source = await openBackupSource(command.location, raw);
  try {
    const backups = await source.list();
    const now = Date.now();
    out.document({
      ok: true,
      location: source.where,
      backups: backups.map((b) => ({
        name: b.name,
        time: b.time.toISOString(),
        age_seconds: Math.floor((now - b.time.getTime()) / 1000),
        size_bytes: b.sizeBytes,
      })),
    });
    if (backups.length === 0) {
      out.line(`No backups in ${source.where}`);
      return EXIT.ok;
    }
    out.line(`${backups.length} backup${backups.length === 1 ? '' : 's'} in ${source.where}, newest first:`);
    const rows = backups.map((b) => [b.name, b.time.toISOString().replace('.000Z', 'Z'), formatAge(now - b.time.getTime()), formatBytes(b.sizeBytes)]);
    const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i].length)));
    for (const row of rows) out.line(`  ${row[0].padEnd(widths[0])}  ${row[1].padEnd(widths[1])}  ${row[2].padStart(widths[2])} ago  ${row[3].padStart(10)}`);
    return EXIT.ok;
  } finally {
    await source.close();
  }
}
