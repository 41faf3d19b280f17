import type { SecretField } from '../channel-input.js';

/** A sealed secret that no longer opens (the master key changed, the file was altered): the channel cannot send until it is entered again. */
export class ChannelSecretUnreadable extends Error {
  constructor(readonly field: SecretField) {
    super(
      `The channel's stored ${field} cannot be decrypted (the master key changed, or .notifications.db was altered): ` +
        `enter the ${field} again (PUT /api/notifications/channels/{id}) or delete and re-create the channel`,
    );
  }
}
