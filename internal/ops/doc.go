// Package ops is what a room does with what it knows: operations planned
// and approved under the room's command model, notified movements and
// protected sites, deconfliction between partners (conflicts that each
// side sees only as far as it may see the other side's item), the room's
// watch log and its requests for information.
//
// Every item of this package is a shared item (internal/item) with its own
// table keyed by item_id: reads go through item's read layer (item.For),
// which puts the need-to-know predicate inside the SQL; writes go through
// item.Insert, item.Update and item.Touch, which audit the change and
// publish it on the live bus.
// Command authority (director, co-directors) decides approvals; it never
// widens what a member may read: an operation a director may not see does
// not exist for that director.
package ops
