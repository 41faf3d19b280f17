// Sends one notification with the built EmailSender (dist/) in a process of its own, so that the test can
// start it with NODE_EXTRA_CA_CERTS, which Node reads only at start. Reads {channel, notification, timeouts}
// as JSON on stdin (never argv: a password in argv is visible to every user of the machine); prints the
// receipt or the DeliveryError as JSON on stdout.
import process from 'node:process';
import 'reflect-metadata';
import { EmailSender } from '../../dist/notifications/senders/email-sender.js';

let input = '';
for await (const chunk of process.stdin) input += chunk;
const { channel, notification, timeouts } = JSON.parse(input);
try {
  const receipt = await new EmailSender(timeouts).send(channel, notification, globalThis.AbortSignal.timeout(30_000));
  process.stdout.write(JSON.stringify({ ok: true, receipt }));
} catch (error) {
  process.stdout.write(JSON.stringify({ ok: false, name: error.name, message: error.message, retryable: error.retryable, answer: error.answer }));
}
