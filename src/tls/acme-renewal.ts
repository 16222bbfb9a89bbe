// When a certificate is due for renewal: fewer than ACME_RENEW_BEFORE_DAYS left, or less than a third of its lifetime.
import { ACME_RENEW_BEFORE_DAYS } from '../defaults.js';

const DAY_MS = 86_400_000;

/** The instant from which the certificate valid from..to should be renewed. */
export function renewalDueAt(validFrom: Date, validTo: Date): Date {
  const lifetime = validTo.getTime() - validFrom.getTime();
  const lead = Math.max(ACME_RENEW_BEFORE_DAYS * DAY_MS, lifetime / 3);
  return new Date(Math.max(validFrom.getTime(), validTo.getTime() - lead));
}

export function renewalDue(validFrom: Date, validTo: Date, now: Date): boolean {
  return now.getTime() >= renewalDueAt(validFrom, validTo).getTime();
}
