// Package faults holds the fault suite (its tests; `make test-faults`, and `make soak` for the
// long run): both services run as real processes, product-management built with failpoints
// (pkg/failpoint), and the suite kills them at the worst moments, holds transactions open beside
// them, and puts latency, resets and blackholes between the parts (Toxiproxy, in-process), then
// checks the promises partners build on: one effect per idempotency key, every committed change
// in the feed, webhooks at least once, no 500.
package faults
