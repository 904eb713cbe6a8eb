// Package checks runs an agent's health checks and reports their results.
//
// A Runner owns one goroutine per check. The flow of one check:
//
//  1. The agent calls [Runner.Add] with the check's ID and definition. Add
//     validates it (exactly one type, well-formed durations, script checks
//     allowed by the Config), reports the initial status (the definition's
//     Status, else critical) to the [Notifier] before it returns, and starts
//     the check's goroutine.
//  2. HTTP, TCP, UDP, gRPC and script checks wait a random delay in
//     [0, interval), so that checks added together do not fire together, then
//     run one probe bounded by the timeout, pass the result through the
//     check's thresholds (SuccessBeforePassing, FailuresBeforeWarning,
//     FailuresBeforeCritical) and wait one interval after the probe ends
//     before the next one. Probes of one check never overlap.
//  3. TTL checks do not probe: [Runner.UpdateTTL] sets their status and
//     restarts the TTL; when it runs out the check turns critical with the
//     output "TTL expired".
//  4. Alias checks mirror the status an [AliasSource] gives for a node or a
//     service instance, in a loop of blocking calls.
//  5. A status reaches the Notifier only when it or the output differs from
//     the last one reported for the check.
//  6. [Runner.Remove] and [Runner.Stop] cancel the check's context and wait
//     for its goroutine: once they return, the Notifier hears no more of the
//     check and no probe of it is running (a script's process group is
//     killed).
//
// The runner keeps no state across restarts and does not deregister
// services (DeregisterCriticalServiceAfter belongs to the agent's local
// state), nor does it sync results to the catalog: the Notifier does.
package checks
