/**
 * Stands where the settings forms go until the settings are read: with an API token set, that is after the token
 * question is answered. A neutral placeholder, so no form shows default values that are not the real settings.
 */
export function TokenWait() {
  return (
    <section class="card token-wait" aria-labelledby="token-wait-heading" aria-busy="true" data-state="waiting-for-settings">
      <h2 id="token-wait-heading">Target settings</h2>
      <p class="muted">The settings show here once the service has sent them. If the page asks for the API token, enter it to continue.</p>
    </section>
  );
}
