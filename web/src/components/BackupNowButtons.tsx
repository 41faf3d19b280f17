export type BackupKind = 'full' | 'incremental';

interface BackupNowButtonsProps {
  /** The target's incremental policy is on: the user chooses full or incremental; off, one button and the policy decides. */
  incremental: boolean;
  class: string;
  disabled: boolean;
  busy?: boolean;
  /** Shown instead of the button's words while a backup is starting or running. */
  busyText: string | null;
  /** Read after the words by screen readers only: which target, where several cards have the same buttons. */
  hiddenSuffix?: string;
  onBackup: (kind?: BackupKind) => void;
}

const WORDS: Record<BackupKind, string> = { full: 'Full Backup Now', incremental: 'Incremental Backup Now' };

/** "Backup Now", or "Full Backup Now" and "Incremental Backup Now" when the target's incremental policy is on (issue 19). */
export function BackupNowButtons({ incremental, class: className, disabled, busy, busyText, hiddenSuffix, onBackup }: BackupNowButtonsProps) {
  const kinds: ReadonlyArray<BackupKind | undefined> = incremental ? ['full', 'incremental'] : [undefined];
  return (
    <>
      {kinds.map((kind) => (
        <button
          key={kind ?? 'policy'}
          type="button"
          class={className}
          data-backup-kind={kind}
          aria-disabled={disabled}
          aria-busy={busy}
          onClick={() => !disabled && onBackup(kind)}
        >
          {busyText ?? (kind ? WORDS[kind] : 'Backup Now')}
          {hiddenSuffix && <span class="visually-hidden"> {hiddenSuffix}</span>}
        </button>
      ))}
    </>
  );
}
