// Package canary holds the canary crawl, the test that checks
// need-to-know by its bytes rather than by the items a query returns. It
// builds a random world through the real HTTP API (partners, members,
// rooms with different seats, every kind of item with random markings and
// references between items of different markings, each item carrying a
// unique canary word in its title and text), then reads everything each
// member can reach: every GET route of the OpenAPI document with its path
// parameters filled from the ids found, the rooms' live streams and their
// replay, the exports, and a search for every canary. Any byte that names
// the id or canary of an item the reader may not see (by access.CanSee on
// the marking the world was built with) is a leak.
//
// The package has no code outside its tests; run it with
// `go test ./internal/canary` (OPSROOM_CANARY_SEED=N replays one world,
// OPSROOM_TEST_POSTGRES adds the PostgreSQL run).
package canary
