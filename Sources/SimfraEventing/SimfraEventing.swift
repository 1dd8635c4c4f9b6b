// SimfraEventing holds the engines EventBridge, SNS and Scheduler share, so that a pattern or a
// schedule means the same thing in every service that accepts one:
// - Patterns/: EventBridge event patterns and SNS filter policies, parsed and validated with
//   AWS's messages, then matched against events and message attributes.
// - Schedules/: `rate(…)`, `cron(…)` (AWS's six fields) and `at(…)` expressions with time zones,
//   and the next time each fires.
// Pure values without I/O: the services own state, clocks and delivery.
