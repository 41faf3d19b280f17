/** "Still waiting… Cancel": shown by a request that waits longer than useSlowRequest's limit. */
export function SlowNotice({ slow, what, onCancel }: { slow: boolean; what: string; onCancel: () => void }) {
  if (!slow) return null;
  return (
    <p class="slow-notice" role="status">
      Still waiting for {what}…{' '}
      <button type="button" class="button button-small" onClick={onCancel}>
        Cancel
      </button>
    </p>
  );
}
