package live

import "github.com/prometheus/client_golang/prometheus"

// Register adds the bus's figures to a Prometheus registry. They are read
// from the bus's counters at scrape time, so delivering a change costs no
// extra work for them.
func (b *Bus) Register(reg prometheus.Registerer) {
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "opsroom_live_subscribers", Help: "Open live-stream subscriptions in this process."},
			func() float64 { return float64(b.subscribers.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "opsroom_live_changes_published_total", Help: "Changes delivered to this process's subscribers (local and from other instances)."},
			func() float64 { return float64(b.published.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "opsroom_live_lagged_disconnects_total", Help: "Subscribers disconnected because their queue was full."},
			func() float64 { return float64(b.lagged.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "opsroom_live_removed_disconnects_total", Help: "Subscriptions ended because their member left the room or was disabled."},
			func() float64 { return float64(b.removed.Load()) }),
	)
}
