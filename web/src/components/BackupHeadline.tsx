import { useEffect } from 'preact/hooks';
import type { ServiceStatus } from '../api/status';
import { headline } from '../target-status';

/** What the browser tab says before the first status answer (as in index.html). */
const PAGE_NAME = 'Sentinel';

interface BackupHeadlineProps {
  status: ServiceStatus | null;
  error: string | null;
}

/**
 * The worst backup state in the header and the browser tab ("Backup failing · Sentinel"): a tab left open
 * in the background tells a failing backup too.
 */
export function BackupHeadline({ status, error }: BackupHeadlineProps) {
  const line = headline(status, error);
  const text = line?.text;
  useEffect(() => {
    if (text) document.title = `${text} · ${PAGE_NAME}`;
  }, [text]);
  if (!line) return null;
  return (
    <span class={`backup-state backup-state-${line.level}`} data-state={line.level}>
      {line.text}
    </span>
  );
}
