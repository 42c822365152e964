// Package intel is the domain core of opsroom's shared intelligence: how a
// report is graded (the Admiralty system), what kind of source it comes
// from, how reports derive from one another (provenance), how many
// independent origins stand behind a claim, and whether an event's claims
// contradict each other.
//
// The package does no I/O. Its functions take plain slices and values, or
// lookup functions where a caller wants to walk a large store lazily, so the
// store and the HTTP API can call them inside a transaction or a request
// without the package knowing about either.
//
// Need-to-know is the caller's job, and the functions are shaped so that it
// cannot go wrong quietly: corroboration and contest views are computed only
// from the reports, links and claims passed in, and anything that names a
// report or claim not passed in is ignored. Passing exactly what a viewer
// may see therefore gives the same answer as computing on the world with
// everything else deleted, and the answer cannot reveal what was left out.
package intel
