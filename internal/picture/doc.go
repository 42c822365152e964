// Package picture keeps a room's picture: sites (fixed places, some
// protected), tracks (things that move, with positions over time), events
// (what happened where and when), areas (zones and sectors) and the room's
// own named places. It answers space-time queries (a bounding box or a
// polygon and a time window, or the picture as it was at a moment) through
// a spatial index on both engines, with need-to-know applied inside every
// query, and exports what a viewer may see as GeoJSON and KML.
package picture
