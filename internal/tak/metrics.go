package tak

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/opsroom/opsroom/internal/connlimit"
)

// Metrics are the listeners' counters. Every way a connection ends and
// every event not delivered or not stored is counted here, so overload and
// hostile input are never silent.
type Metrics struct {
	ConnsAccepted atomic.Int64 // connections accepted (before identification)
	ConnsOpen     atomic.Int64 // identified connections now open
	ConnsRefused  atomic.Int64 // TLS handshake or identity refused
	AcceptErrors  atomic.Int64 // temporary accept errors (backed off)

	ClosedLagging   atomic.Int64 // queue full: the device could not keep up
	ClosedIdle      atomic.Int64 // nothing (not even a ping) within the idle timeout
	ClosedMalformed atomic.Int64 // malformed XML or protobuf, bad values
	ClosedTooLarge  atomic.Int64 // an event or frame over the size limit
	ClosedWriteErr  atomic.Int64 // write failed or timed out (stalled reader)
	ClosedPeer      atomic.Int64 // the device hung up

	EventsIn         atomic.Int64 // events received from devices
	Pings            atomic.Int64 // pings answered
	Refused          atomic.Int64 // events refused, for any reason (RefusedFor tells them apart)
	Deliveries       atomic.Int64 // events queued to a connection
	Writes           atomic.Int64 // write calls (each carries one or more events)
	BytesOut         atomic.Int64 // bytes written
	EncodedXML       atomic.Int64 // events encoded as XML (once per event)
	EncodedProto     atomic.Int64 // events encoded as protobuf (once per event)
	PositionsIn      atomic.Int64 // positions received for persisting
	PositionsSaved   atomic.Int64 // positions written to their track's history
	PositionsDropped atomic.Int64 // positions refused because the database fell too far behind
	Batches          atomic.Int64 // position batches committed
	BatchErrors      atomic.Int64 // failed batch commits (the batch is retried)
	ItemsWritten     atomic.Int64 // markers, shapes and chat stored or updated
	ItemErrors       atomic.Int64 // markers, shapes or chat that could not be stored

	refused [numRefusals]atomic.Int64
	limit   *connlimit.Limiter // connections refused over a cap, by cap
}

// Capped returns how many connections were refused over cap
// (connlimit.CapTotal, CapAddress or CapMember).
func (m *Metrics) Capped(cap string) int64 {
	if m.limit == nil {
		return 0
	}
	return m.limit.Refused(cap)
}

// refusal is why an event from a device was refused (never relayed,
// stored or answered).
type refusal int

const (
	refusalNone        refusal = iota
	refusedMarking             // a marking the member may not share
	refusedTrack               // the uid of another partner's track
	refusedSite                // opsroom-<id> of another partner's site
	refusedItem                // the uid of another partner's item (made in opsroom or by a device)
	refusedUnknownItem         // opsroom-<id> naming no item of the room
	refusedUID                 // a uid another partner's relayed event holds until its stale time
	refusedError               // the uid's owner could not be read (refused rather than relayed unchecked)
	numRefusals
)

// refusalReasons are the reason labels of opsroom_tak_events_refused_total.
var refusalReasons = [numRefusals]string{"", "marking", "track", "site", "item", "unknown_item", "relayed_uid", "error"}

// refuse counts a refused event.
func (m *Metrics) refuse(r refusal, n int64) {
	m.Refused.Add(n)
	m.refused[r].Add(n)
}

// RefusedFor returns how many events were refused for reason (a label of
// opsroom_tak_events_refused_total).
func (m *Metrics) RefusedFor(reason string) int64 {
	for r, name := range refusalReasons {
		if r != int(refusalNone) && name == reason {
			return m.refused[r].Load()
		}
	}
	return 0
}

// metric is one counter or gauge as Prometheus shows it.
type metric struct {
	name, help string
	gauge      bool
	v          *atomic.Int64
}

func (m *Metrics) table() []metric {
	return []metric{
		{"opsroom_tak_connections_accepted_total", "TAK connections accepted", false, &m.ConnsAccepted},
		{"opsroom_tak_connections_open", "identified TAK connections open", true, &m.ConnsOpen},
		{"opsroom_tak_connections_refused_total", "TAK connections refused at handshake or identification", false, &m.ConnsRefused},
		{"opsroom_tak_accept_errors_total", "temporary accept errors", false, &m.AcceptErrors},
		{"opsroom_tak_closed_lagging_total", "devices disconnected because their queue was full", false, &m.ClosedLagging},
		{"opsroom_tak_closed_idle_total", "devices disconnected for idling without ping", false, &m.ClosedIdle},
		{"opsroom_tak_closed_malformed_total", "devices disconnected for malformed input", false, &m.ClosedMalformed},
		{"opsroom_tak_closed_too_large_total", "devices disconnected for an oversized event", false, &m.ClosedTooLarge},
		{"opsroom_tak_closed_write_error_total", "devices disconnected on a failed or stalled write", false, &m.ClosedWriteErr},
		{"opsroom_tak_closed_peer_total", "devices that hung up", false, &m.ClosedPeer},
		{"opsroom_tak_events_in_total", "events received from devices", false, &m.EventsIn},
		{"opsroom_tak_pings_total", "pings answered", false, &m.Pings},
		{"opsroom_tak_deliveries_total", "events queued to devices", false, &m.Deliveries},
		{"opsroom_tak_writes_total", "write calls to devices", false, &m.Writes},
		{"opsroom_tak_bytes_out_total", "bytes written to devices", false, &m.BytesOut},
		{"opsroom_tak_encoded_xml_total", "events encoded as CoT XML", false, &m.EncodedXML},
		{"opsroom_tak_encoded_proto_total", "events encoded as TAK protocol v1", false, &m.EncodedProto},
		{"opsroom_tak_positions_in_total", "device positions received", false, &m.PositionsIn},
		{"opsroom_tak_positions_saved_total", "positions stored in their track's history", false, &m.PositionsSaved},
		{"opsroom_tak_positions_dropped_total", "positions refused because the database fell too far behind", false, &m.PositionsDropped},
		{"opsroom_tak_position_batches_total", "position batches committed", false, &m.Batches},
		{"opsroom_tak_position_batch_errors_total", "position batches that failed (retried)", false, &m.BatchErrors},
		{"opsroom_tak_items_written_total", "markers, shapes and chat stored", false, &m.ItemsWritten},
		{"opsroom_tak_item_errors_total", "markers, shapes and chat that could not be stored", false, &m.ItemErrors},
	}
}

var cappedDesc = prometheus.NewDesc("opsroom_tak_connections_capped_total",
	"TAK connections refused because a cap was reached, by cap (total, address, member)",
	[]string{"cap"}, nil)

var refusedDesc = prometheus.NewDesc("opsroom_tak_events_refused_total",
	"events from devices refused, never relayed or stored, by reason (marking, track, site, item, unknown_item, relayed_uid, error)",
	[]string{"reason"}, nil)

// Describe and Collect make the counters a prometheus.Collector, served
// with the server's other metrics at /metrics.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range m.table() {
		ch <- prometheus.NewDesc(c.name, c.help, nil, nil)
	}
	ch <- refusedDesc
	ch <- cappedDesc
}

// Collect sends the counters' current values.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	for _, c := range m.table() {
		t := prometheus.CounterValue
		if c.gauge {
			t = prometheus.GaugeValue
		}
		ch <- prometheus.MustNewConstMetric(prometheus.NewDesc(c.name, c.help, nil, nil), t, float64(c.v.Load()))
	}
	for r := refusal(1); r < numRefusals; r++ {
		ch <- prometheus.MustNewConstMetric(refusedDesc, prometheus.CounterValue, float64(m.refused[r].Load()), refusalReasons[r])
	}
	for _, c := range []string{connlimit.CapTotal, connlimit.CapAddress, connlimit.CapMember} {
		ch <- prometheus.MustNewConstMetric(cappedDesc, prometheus.CounterValue, float64(m.Capped(c)), c)
	}
}
