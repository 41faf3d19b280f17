import { createContext } from 'preact';

/**
 * Whether the service is not answering (the service-down banner shows). A disabled fieldset turns its buttons off
 * but not its links: a link (Download, Edit in its card) reads this to say it is unavailable meanwhile, and the
 * page's fieldset stops their clicks.
 */
export const ServiceDown = createContext(false);
