/**
 * The wall-clock slot arithmetic lives in common/schedules (the settings and monitoring modules describe and
 * time schedules too, and settings sits below scheduling); this file keeps the scheduling module's public name.
 */
export * from '../common/schedules/schedule-slots.js';
