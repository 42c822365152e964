// Package tak brings TAK devices (ATAK, iTAK, WinTAK) into a room. It runs
// the Cursor-on-Target streaming listeners (mutual TLS, and plain TCP for
// trusted networks), turns what a device sends into the room's items (its
// positions into its member's track, its markers, shapes and chat into
// items owned by its member's partner) and streams the room's picture back
// to every device, filtered by need-to-know for the device's member.
//
// The fan-out is the hot path: an event is encoded at most once per
// encoding (CoT XML, TAK protocol v1) and the same bytes are queued to
// every entitled connection; each connection has one bounded queue and a
// writer that coalesces whatever is queued into one write. A device whose
// queue fills is disconnected and counted, never silently skipped.
// Persisting positions is off that path: they are group-committed in
// batches by one goroutine.
package tak
