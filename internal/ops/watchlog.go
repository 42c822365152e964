package ops

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/audit"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/live"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/validate"
)

// LogEntry is one entry of a room's watch log. Entries are never edited
// or deleted: a mistaken entry is struck through with a reason and its
// original text stays visible.
type LogEntry struct {
	item.Item
	At         time.Time  `json:"at"`
	Text       string     `json:"text"`
	Automatic  bool       `json:"automatic"`
	SourceKind string     `json:"source_kind,omitempty"`
	SourceID   string     `json:"source_id,omitempty"`
	Struck     bool       `json:"struck"`
	StruckAt   *time.Time `json:"struck_at,omitempty"`
	StruckBy   string     `json:"struck_by,omitempty"`
	Reason     string     `json:"strike_reason,omitempty"`
}

// AutoEntry is an entry the server writes itself when something
// significant happens. Its marking should be the marking of what it is
// about (so the entry shows nothing its subject does not), and its text
// nothing beyond what that marking covers. When it is about several items
// (a report and its source), Meet gives the marking that covers them all.
type AutoEntry struct {
	RoomID  string
	Text    string
	Marking access.Marking
	// Shown is the marking as the API shows it; when its label is empty
	// AutoLog derives it from Marking.
	Shown      item.Marking
	Owner      string // partner ID
	Author     string // member ID whose action caused the entry
	SourceKind string // kind of the item it is about
	SourceID   string // and its ID
	// About are the items the entry describes besides SourceID (a
	// report's source): the entry narrows whenever any of them does.
	About []string
}

// AutoLog adds an automatic entry to a room's watch log inside tx, so it
// commits (and is published on bus) together with the change it records.
// Other packages call it for their significant changes (contested claims,
// high-grade reports).
func AutoLog(ctx context.Context, tx *store.Tx, bus *live.Bus, e AutoEntry) error {
	var slug string
	if err := store.Scan(tx.QueryRow(ctx, `SELECT slug FROM rooms WHERE id = ?`, e.RoomID), &slug); err != nil {
		return err
	}
	if e.Shown.TLP == "" {
		var err error
		if e.Shown, err = shownMarking(ctx, tx, e.Marking); err != nil {
			return err
		}
	}
	_, err := writeEntry(ctx, tx, bus, slug, e, true, access.Principal{Member: access.Member{ID: e.Author}, Viewer: access.Viewer{MemberID: e.Author}})
	return err
}

// shownMarking is a marking as the API shows it: partner codes and
// usernames.
func shownMarking(ctx context.Context, tx *store.Tx, m access.Marking) (item.Marking, error) {
	out := item.Marking{TLP: string(m.TLP)}
	for _, id := range m.ReleasableTo {
		var code string
		if err := store.Scan(tx.QueryRow(ctx, `SELECT code FROM partners WHERE id = ?`, id), &code); err != nil {
			return out, err
		}
		out.ReleasableTo = append(out.ReleasableTo, code)
	}
	for _, id := range m.Recipients {
		var name string
		if err := store.Scan(tx.QueryRow(ctx, `SELECT username FROM members WHERE id = ?`, id), &name); err != nil {
			return out, err
		}
		out.Recipients = append(out.Recipients, name)
	}
	slices.Sort(out.ReleasableTo)
	slices.Sort(out.Recipients)
	return out, nil
}

func writeEntry(ctx context.Context, tx *store.Tx, bus *live.Bus, slug string, e AutoEntry, automatic bool, p access.Principal) (string, error) {
	now := time.Now().UTC().Truncate(time.Microsecond)
	title := shorten(e.Text, 120)
	rec := &item.Record{ID: store.NewID(), RoomID: e.RoomID, Room: slug, Kind: "log-entry", Title: title, Marking: e.Marking, Shown: e.Shown,
		Owner: e.Owner, Author: e.Author, At: now}
	var username, code string
	if err := store.Scan(tx.QueryRow(ctx, `SELECT m.username, pa.code FROM members m JOIN partners pa ON pa.id = ? WHERE m.id = ?`, e.Owner, e.Author), &username, &code); err != nil {
		return "", err
	}
	view := LogEntry{Item: item.Item{ID: rec.ID, Room: slug, Kind: "log-entry", Title: title, Marking: e.Shown, Owner: code, CreatedBy: username,
		CreatedAt: now, UpdatedAt: now, Version: 1}, At: now, Text: e.Text, Automatic: automatic, SourceKind: e.SourceKind, SourceID: e.SourceID}
	actor := audit.By(p)
	actor.PartnerID = e.Owner
	refs, err := item.RefsTo(ctx, tx, "source_id", e.SourceID)
	if err != nil {
		return "", err
	}
	if err := item.Insert(ctx, tx, bus, rec, actor, item.WithRefs(view, refs)); err != nil {
		return "", err
	}
	if _, err = tx.Exec(ctx, `INSERT INTO log_entries (item_id, at, text, automatic, source_kind, source_id) VALUES (?, ?, ?, ?, ?, ?)`,
		rec.ID, store.Micros(now), e.Text, boolInt(automatic), e.SourceKind, e.SourceID); err != nil {
		return "", err
	}
	if automatic {
		for _, id := range append([]string{e.SourceID}, e.About...) {
			if id == "" {
				continue
			}
			if _, err := tx.Exec(ctx, `INSERT INTO log_entry_about (entry_id, item_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, rec.ID, id); err != nil {
				return "", err
			}
		}
	}
	return rec.ID, nil
}

func init() { item.OnMarkingChange(narrowEntries) }

// narrowEntries keeps the automatic entries about an item (its subject,
// or another item it describes, such as a report's source) no wider than
// the item: when its marking changes, each entry about it takes the meet
// of its own marking and the item's new one (no one, when they have no
// reader in common). An entry never widens again.
func narrowEntries(ctx context.Context, tx *store.Tx, bus *live.Bus, id string, m access.Marking, actor audit.Record) error {
	entries, err := store.Strings(ctx, tx, `SELECT entry_id FROM log_entry_about WHERE item_id = ? ORDER BY entry_id`, id)
	if err != nil || len(entries) == 0 {
		return err
	}
	for _, eid := range entries {
		cur, err := item.LoadMarking(ctx, tx, eid)
		if err != nil {
			return err
		}
		meet, ok := access.Meet(cur, m)
		if !ok {
			meet = access.Marking{TLP: access.Red} // no recipient: no one
		}
		if sameMarking(meet, cur) {
			continue
		}
		own, err := item.LoadOwnership(ctx, tx, eid)
		if err != nil {
			return err
		}
		shown, err := shownMarking(ctx, tx, meet)
		if err != nil {
			return err
		}
		if err := item.Remark(ctx, tx, bus, own.RoomID, "log-entry", eid, meet, shown, actor, nil); err != nil {
			return err
		}
	}
	return nil
}

func sameMarking(a, b access.Marking) bool {
	return a.TLP == b.TLP && slices.Equal(sorted(a.ReleasableTo), sorted(b.ReleasableTo)) && slices.Equal(sorted(a.Recipients), sorted(b.Recipients))
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// NewLogEntry is a member's entry.
type NewLogEntry struct {
	Text    string       `json:"text"`
	Marking item.Marking `json:"marking"`
}

// AddEntry adds a member's entry to the room's watch log.
func (s *Service) AddEntry(ctx context.Context, p access.Principal, slug string, in NewLogEntry) (LogEntry, error) {
	rm, rv, err := s.memberRoom(ctx, p, slug)
	if err != nil {
		return LogEntry{}, err
	}
	var errs validate.Errors
	in.Text = strings.TrimSpace(in.Text)
	errs.Text("text", in.Text, true, 10_000)
	m, shown, err := item.Resolve("marking", in.Marking, p.Viewer, rv, rm.DefaultTLP)
	if err := mergeErr(&errs, err); err != nil {
		return LogEntry{}, err
	}
	if err := errs.Err(); err != nil {
		return LogEntry{}, err
	}
	var id string
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		id, err = writeEntry(ctx, tx, s.bus, rm.Slug, AutoEntry{RoomID: rm.ID, Text: in.Text, Marking: m, Shown: shown, Owner: p.PartnerID, Author: p.ID}, false, p)
		return err
	})
	if err != nil {
		return LogEntry{}, err
	}
	return s.Entry(ctx, p, id)
}

// The item an entry is about is named only to a reader who may see it.
const entryColumns = item.Columns + `, e.at, e.text, e.automatic, CASE WHEN si.id IS NULL THEN '' ELSE e.source_kind END, COALESCE(si.id, ''), e.struck_at, COALESCE(sm.username, ''), e.strike_reason`
const entryFrom = ` FROM {items i} JOIN log_entries e ON e.item_id = i.id LEFT JOIN members sm ON sm.id = e.struck_by
	LEFT JOIN {items si} ON si.id = e.source_id AND {visible si}` + item.Joins

func scanEntry(sc interface{ Scan(...any) error }) (LogEntry, error) {
	var e LogEntry
	var at int64
	var auto int
	var struck sql.NullInt64
	if err := item.Scan(sc, &e.Item, &at, &e.Text, &auto, &e.SourceKind, &e.SourceID, &struck, &e.StruckBy, &e.Reason); err != nil {
		return e, err
	}
	e.At, e.Automatic = store.Time(at), auto == 1
	if struck.Valid {
		t := store.Time(struck.Int64)
		e.Struck, e.StruckAt = true, &t
	}
	return e, nil
}

// Entry returns one watch log entry p may see.
func (s *Service) Entry(ctx context.Context, p access.Principal, id string) (LogEntry, error) {
	e, err := scanEntry(item.For(p.Viewer).QueryRow(ctx, s.db, `SELECT `+entryColumns+entryFrom+` WHERE i.id = ? AND {visible i}`, id))
	if err != nil {
		return e, item.NotFound(ctx, s.db, p, id, err)
	}
	return e, nil
}

// Entries returns the room's watch log as p may see it, in chronological
// order after the cursor (an entry ID).
func (s *Service) Entries(ctx context.Context, p access.Principal, slug, after string, limit int) ([]LogEntry, error) {
	rm, err := s.rooms.Room(ctx, p, slug)
	if err != nil {
		return nil, err
	}
	q := `SELECT ` + entryColumns + entryFrom + ` WHERE i.room_id = ? AND {visible i}`
	args := []any{rm.ID}
	if after != "" {
		q += ` AND i.id > ?`
		args = append(args, after)
	}
	rows, err := item.For(p.Viewer).Query(ctx, s.db, q+` ORDER BY i.id LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []LogEntry{}
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Strike strikes an entry through with a reason: its author, or the
// room's authority. The original text stays as it was.
func (s *Service) Strike(ctx context.Context, p access.Principal, id string, in Action) (LogEntry, error) {
	in.Reason = strings.TrimSpace(in.Reason)
	var errs validate.Errors
	errs.Text("reason", in.Reason, true, 4000)
	if err := errs.Err(); err != nil {
		return LogEntry{}, err
	}
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		rec, err := load(ctx, tx, p, id, "log-entry")
		if err != nil {
			return err
		}
		_, auth, _, err := authorities(ctx, tx, rec.RoomID)
		if err != nil {
			return err
		}
		isAuth := false
		for _, a := range auth {
			isAuth = isAuth || a == p.ID
		}
		if rec.Author != p.ID && !isAuth {
			return access.ErrForbidden
		}
		now := s.at()
		res, err := tx.Exec(ctx, `UPDATE log_entries SET struck_at = ?, struck_by = ?, strike_reason = ? WHERE item_id = ? AND struck_at IS NULL`,
			store.Micros(now), p.ID, in.Reason, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return validate.Field("struck", "the entry is struck through already")
		}
		e, err := scanEntry(item.For(p.Viewer).QueryRow(ctx, tx, `SELECT `+entryColumns+entryFrom+` WHERE i.id = ? AND {visible i}`, id))
		if err != nil {
			return err
		}
		refs, err := item.RefsTo(ctx, tx, "source_id", e.SourceID)
		if err != nil {
			return err
		}
		_, err = item.Touch(ctx, tx, s.bus, rec.RoomID, "log-entry", id, "strike", rec.Marking, audit.By(p), map[string]any{"struck": true}, item.WithRefs(e, refs))
		return err
	})
	if err != nil {
		return LogEntry{}, err
	}
	return s.Entry(ctx, p, id)
}

// shorten cuts s to at most max bytes for a title, at a space when there
// is one and never inside a character, marking the cut with an ellipsis.
func shorten(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	if sp := strings.LastIndex(s[:cut], " "); sp > 0 {
		cut = sp
	}
	return s[:cut] + "…"
}
