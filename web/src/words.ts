import { LOCAL_FIELDS, R2_FIELDS } from './settings-fields';

/**
 * The API's messages are written for every client (curl, scripts, the CLI): they name settings by key (`r2_access_key_id`)
 * and say which request to send (`PATCH /api/targets/nas`). On the page a person reads them: `forPeople` gives a setting
 * its label, and a request the place on the page that does the same. The API keeps its messages as they are.
 */

/** The settings' labels by key, from the forms that show them. */
const SETTING_LABELS = new Map<string, string>([...R2_FIELDS, ...LOCAL_FIELDS].map((field) => [field.key, field.label]));

/** A target's fields (POST/PATCH /api/targets), as the Targets form labels them. */
const TARGET_FIELD_LABELS: Record<string, string> = {
  access_key_id: 'Access key ID',
  secret_access_key: 'Secret access key',
  retention_days: 'Retention days',
  replicate_from: 'Replicate from',
  object_lock: 'Object Lock',
};

/** Requests named in the API's messages, and what a person does on the page instead. Specific ones first. */
const REQUESTS: readonly [RegExp, string][] = [
  [/,? ?then POST \/api\/backups\/\S+\/restore with \{[^}]*\}/g, ', then restore one from the Backups list'],
  [/;? ?GET \/api\/backups\/\S+ lists the backups/g, '; the Backups list shows them'],
  [/\bGET \/api\/backups\/[^\s,;)]+/g, 'the Backups list'],
  [/\bPATCH \/api\/targets\/[^\s,;)]+( \{[^}]*\})?/g, 'Edit in the Targets section'],
  [/\bPOST \/api\/targets\b/g, 'Add target in the Targets section'],
  [/\bthrough \/api\/targets\b/g, 'in the Targets section'],
  [/\bPUT \/api\/costs\/prices\/[^\s,;)]+/g, 'the prices form of the Cost card'],
  [/\bsee \/api\/docs\b/g, 'see the API documentation'],
  // Any other request: the words around it still say what to do.
  [/\b(GET|POST|PUT|PATCH|DELETE) \/api\/[^\s,;)]+/g, 'the admin page'],
  [/\/api\/[^\s,;)]+/g, 'the API'],
];

function label(key: string): string | undefined {
  return SETTING_LABELS.get(key);
}

/** An API message as a person on the page reads it: setting keys as their labels, requests as places on the page. */
export function forPeople(message: string): string {
  let text = message;
  for (const [pattern, words] of REQUESTS) text = text.replace(pattern, words);
  // "(r2_backup_enabled = 0)": a tick box's state in words.
  text = text.replace(/\b([a-z0-9]+_[a-z0-9_]+) = ([01])\b/g, (whole, key: string, value: string) => {
    const name = label(key);
    return name ? `“${name}” is ${value === '1' ? 'ticked' : 'not ticked'}` : whole;
  });
  text = text.replace(/\b(r2|local)_[a-z0-9_]+\b/g, (key) => {
    const name = label(key);
    return name ? `“${name}”` : key;
  });
  return text.replace(/\b[a-z]+(?:_[a-z]+)+\b/g, (key) => (TARGET_FIELD_LABELS[key] ? `“${TARGET_FIELD_LABELS[key]}”` : key));
}
