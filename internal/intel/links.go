package intel

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/audit"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/live"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/validate"
)

// NewLink is the input to CreateLink: the report in the path repeats or
// cites Target.
type NewLink struct {
	Kind   string `json:"kind"`   // repeats or cites
	Target string `json:"target"` // the earlier report's ID
}

// SharedLink is a provenance link as the API shows it.
type SharedLink struct {
	Report    string    `json:"report"`
	Kind      string    `json:"kind"`
	Target    string    `json:"target"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// ReportLinks are the links of one report the caller may see.
type ReportLinks struct {
	// Upstream are the reports this one repeats or cites.
	Upstream []SharedLink `json:"upstream"`
	// Downstream are the reports that repeat or cite this one.
	Downstream []SharedLink `json:"downstream"`
}

// CreateLink records that report repeats or cites in.Target.
func (s *Service) CreateLink(ctx context.Context, p access.Principal, slug, report string, in NewLink) (SharedLink, error) {
	sc, err := s.Scope(ctx, p, slug)
	if err != nil {
		return SharedLink{}, err
	}
	var out SharedLink
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		out, err = s.CreateLinkTx(ctx, tx, sc, report, in)
		return err
	})
	return out, err
}

// CreateLinkTx writes a provenance link inside tx. Both reports must be in
// the scope's room and visible to the writer. A link that would close a
// cycle is refused with a validate.Errors on "target" describing the
// cycle; the check walks every link in the store, hidden ones included (or
// a partner could close a cycle through a report it cannot see). The
// message names a chain only when the writer may see every report on it;
// otherwise it says only that the target already derives from the report
// through reports of the room (Closes), never which, how many or how.
func (s *Service) CreateLinkTx(ctx context.Context, tx *store.Tx, sc *Scope, report string, in NewLink) (SharedLink, error) {
	var errs validate.Errors
	kind := LinkKind(in.Kind)
	if err := kind.Validate(); err != nil {
		errs.Add("kind", "%q is not a link kind; want repeats or cites", in.Kind)
	}
	if in.Target == "" {
		errs.Add("target", "is required: the ID of the earlier report")
	}
	vis, err := visibleOfKind(ctx, tx, sc.P.Viewer, sc.Room.ID, ItemReport, []string{report, in.Target})
	if err != nil {
		return SharedLink{}, err
	}
	if !vis[report] {
		return SharedLink{}, store.ErrNotFound
	}
	if in.Target != "" && !vis[in.Target] {
		errs.Add("target", "no report %q in this room that you may see", in.Target)
	}
	if err := errs.Err(); err != nil {
		return SharedLink{}, err
	}
	l := Link{Report: report, Kind: kind, Target: in.Target}
	var qerr error
	// linksOf reads a report's links upstream; with onlyVisible, only
	// those whose target the writer may see.
	linksOf := func(onlyVisible bool) func(id string) []Link {
		return func(id string) []Link {
			if qerr != nil {
				return nil
			}
			var out []Link
			rows, err := tx.Query(ctx, `SELECT report_id, kind, target_id FROM report_links WHERE report_id = ?`, id)
			if err != nil {
				qerr = err
				return nil
			}
			defer rows.Close()
			for rows.Next() {
				var x Link
				if err := rows.Scan(&x.Report, &x.Kind, &x.Target); err != nil {
					qerr = err
					return nil
				}
				out = append(out, x)
			}
			if qerr = rows.Err(); qerr != nil || !onlyVisible || len(out) == 0 {
				return out
			}
			targets := make([]string, len(out))
			for k, x := range out {
				targets[k] = x.Target
			}
			seen, err := visibleOfKind(ctx, tx, sc.P.Viewer, sc.Room.ID, ItemReport, targets)
			if err != nil {
				qerr = err
				return nil
			}
			return slices.DeleteFunc(out, func(x Link) bool { return !seen[x.Target] })
		}
	}
	err = CheckLinkWalk(l, linksOf(false))
	if qerr != nil {
		return SharedLink{}, qerr
	}
	var cyc *CycleError
	if errors.As(err, &cyc) {
		var ids []string
		for _, x := range cyc.Path {
			ids = append(ids, x.Report, x.Target)
		}
		onPath := dedupe(ids)
		seen, verr := visibleOfKind(ctx, tx, sc.P.Viewer, sc.Room.ID, ItemReport, onPath)
		if verr != nil {
			return SharedLink{}, verr
		}
		msg := cyc.Redacted(func(id string) bool { return seen[id] })
		if len(seen) < len(onPath) {
			// The shortest cycle passes through a report the writer may
			// not see; a chain of reports it may see, if there is one,
			// is named instead (the writer can find it in the links it
			// sees). Otherwise the refusal names no chain at all.
			var vc *CycleError
			if errors.As(CheckLinkWalk(l, linksOf(true)), &vc) && qerr == nil {
				msg = vc.Error()
			}
			if qerr != nil {
				return SharedLink{}, qerr
			}
		}
		return SharedLink{}, validate.Field("target", "%s", msg)
	}
	if err != nil {
		return SharedLink{}, err
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	if _, err := tx.Exec(ctx, `INSERT INTO report_links (report_id, target_id, kind, created_by, created_at) VALUES (?, ?, ?, ?, ?)`,
		report, in.Target, string(kind), sc.P.ID, store.Micros(now)); err != nil {
		return SharedLink{}, err
	}
	out := SharedLink{Report: report, Kind: string(kind), Target: in.Target, CreatedBy: sc.P.Username, CreatedAt: now}
	// The change is published under the marking of both ends: whoever
	// receives it sees the downstream report, and the target's ID must not
	// reach anyone who may not see the target.
	m, err := item.LoadMarking(ctx, tx, report)
	if err != nil {
		return SharedLink{}, err
	}
	mt, err := item.LoadMarking(ctx, tx, in.Target)
	if err != nil {
		return SharedLink{}, err
	}
	_, err = item.Touch(ctx, tx, s.bus, sc.Room.ID, ItemReport, report, "link", narrower(m, mt), audit.By(sc.P),
		map[string]any{"link": string(kind)}, item.WithRefs(out, []live.Ref{{ID: in.Target, Path: "target", Marking: mt}}))
	return out, err
}

// narrower is a marking no wider than either a or b: the stricter label,
// the intersection of releasability lists and of recipients.
func narrower(a, b access.Marking) access.Marking {
	out := a
	if b.TLP.Rank() > a.TLP.Rank() {
		out.TLP = b.TLP
	}
	out.ReleasableTo = intersect(a.ReleasableTo, b.ReleasableTo)
	switch {
	case a.TLP == access.Red && b.TLP == access.Red:
		out.Recipients = intersect(a.Recipients, b.Recipients)
	case b.TLP == access.Red:
		out.Recipients = b.Recipients
	}
	return out
}

// intersect treats an empty list as "no restriction".
func intersect(a, b []string) []string {
	switch {
	case len(a) == 0:
		return b
	case len(b) == 0:
		return a
	}
	var out []string
	for _, x := range a {
		for _, y := range b {
			if x == y {
				out = append(out, x)
			}
		}
	}
	if out == nil {
		out = []string{"-"} // disjoint lists: nobody
	}
	return out
}

// Links returns the provenance links of a report whose both ends the
// caller may see.
func (s *Service) Links(ctx context.Context, p access.Principal, slug, report string) (ReportLinks, error) {
	if _, err := s.Report(ctx, p, slug, report); err != nil {
		return ReportLinks{}, err
	}
	out := ReportLinks{Upstream: []SharedLink{}, Downstream: []SharedLink{}}
	for _, dir := range []struct {
		where, other string
		dst          *[]SharedLink
	}{
		{"l.report_id = ?", "l.target_id", &out.Upstream},
		{"l.target_id = ?", "l.report_id", &out.Downstream},
	} {
		rows, err := item.For(p.Viewer).Query(ctx, s.db, `SELECT l.report_id, l.kind, l.target_id, m.username, l.created_at FROM report_links l
			JOIN {items o} ON o.id = `+dir.other+` JOIN members m ON m.id = l.created_by
			WHERE `+dir.where+` AND {visible o} ORDER BY l.report_id, l.target_id`, report)
		if err != nil {
			return out, err
		}
		for rows.Next() {
			var l SharedLink
			var at int64
			if err := rows.Scan(&l.Report, &l.Kind, &l.Target, &l.CreatedBy, &at); err != nil {
				rows.Close()
				return out, err
			}
			l.CreatedAt = store.Time(at)
			*dir.dst = append(*dir.dst, l)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return out, err
		}
	}
	return out, nil
}
