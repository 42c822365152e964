package intel

import (
	"context"

	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/store"
)

// The generic item endpoints show a claim's event and reports and a
// report's source as body fields, read here through the viewer's read so
// that an item the viewer may not see is left out.
func init() {
	item.RegisterAttach(ItemClaim, attachClaims)
	item.RegisterAttach(ItemReport, attachReports)
}

func idArgs(its []*item.Item) []any {
	args := make([]any, len(its))
	for i, it := range its {
		args[i] = it.ID
	}
	return args
}

func attachClaims(ctx context.Context, db *store.DB, r item.Read, its []*item.Item) error {
	type refs struct {
		event                 string
		supporting, disputing []string
	}
	by := map[string]*refs{}
	for _, it := range its {
		by[it.ID] = &refs{supporting: []string{}, disputing: []string{}}
	}
	for start := 0; start < len(its); start += 400 {
		chunk := its[start:min(start+400, len(its))]
		rows, err := r.Query(ctx, db, `SELECT c.item_id, c.event_id FROM claims c JOIN {items i} ON i.id = c.event_id
			WHERE c.item_id IN (`+marks(len(chunk))+`) AND {visible i}`, idArgs(chunk)...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id, ev string
			if err := rows.Scan(&id, &ev); err != nil {
				rows.Close()
				return err
			}
			by[id].event = ev
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = r.Query(ctx, db, `SELECT cr.claim_id, cr.report_id, cr.role FROM claim_reports cr JOIN {items i} ON i.id = cr.report_id
			WHERE cr.claim_id IN (`+marks(len(chunk))+`) AND {visible i} ORDER BY cr.report_id`, idArgs(chunk)...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id, rep, role string
			if err := rows.Scan(&id, &rep, &role); err != nil {
				rows.Close()
				return err
			}
			if role == "supporting" {
				by[id].supporting = append(by[id].supporting, rep)
			} else {
				by[id].disputing = append(by[id].disputing, rep)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	for _, it := range its {
		f := by[it.ID]
		fields := map[string]any{"supporting": f.supporting, "disputing": f.disputing}
		if f.event != "" {
			fields["event"] = f.event
		}
		if err := it.SetBody(fields); err != nil {
			return err
		}
	}
	return nil
}

func attachReports(ctx context.Context, db *store.DB, r item.Read, its []*item.Item) error {
	src := map[string]string{}
	for start := 0; start < len(its); start += 400 {
		chunk := its[start:min(start+400, len(its))]
		rows, err := r.Query(ctx, db, `SELECT rp.item_id, rp.source_id FROM reports rp JOIN {items i} ON i.id = rp.source_id
			WHERE rp.item_id IN (`+marks(len(chunk))+`) AND {visible i}`, idArgs(chunk)...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id, s string
			if err := rows.Scan(&id, &s); err != nil {
				rows.Close()
				return err
			}
			src[id] = s
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	for _, it := range its {
		if s := src[it.ID]; s != "" {
			if err := it.SetBody(map[string]any{"source": s}); err != nil {
				return err
			}
		}
	}
	return nil
}
