import { formatClock } from '../format';

/**
 * Shown while the service does not answer its health check: says so, and that the page's actions are off
 * (App disables them) until it answers again; it goes by itself when the service is back.
 */
export function ServiceDownBanner({ since, onCheck }: { since: number | null; onCheck: () => void }) {
  if (since === null) return null;
  return (
    <div class="banner banner-error" role="alert" data-state="service-down">
      <div class="banner-text">
        <strong>The service is not answering</strong>
        <span>
          No answer since {formatClock(since)}. The page asks again every few seconds; its actions are off until the service answers. If it does not come back,
          check that it is running (systemctl status sentinel-backup) and its log.
        </span>
      </div>
      <button type="button" class="button button-small" onClick={onCheck}>
        Check now
      </button>
    </div>
  );
}
