/** The colocation scheduler's name: pods with this spec.schedulerName are scheduled by Tidepool. */
export const SCHEDULER_NAME = 'tidepool-scheduler';
