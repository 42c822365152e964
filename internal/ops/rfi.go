package ops

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/audit"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/validate"
)

// Request for information statuses.
const (
	RFIOpen     = "open"
	RFIAnswered = "answered"
	RFIAccepted = "accepted"
	RFIReopened = "reopened"
)

// RFIInput asks a request for information.
type RFIInput struct {
	Question string       `json:"question"`
	Assignee string       `json:"assignee"` // partner code
	Deadline time.Time    `json:"deadline"`
	Marking  item.Marking `json:"marking"`
}

// RFIAnswer is a report linked as an answer. Only the answers the reader
// may see are listed.
type RFIAnswer struct {
	Item  string    `json:"item"`
	Kind  string    `json:"kind"`
	Title string    `json:"title"`
	By    string    `json:"by"`
	At    time.Time `json:"at"`
}

// RFI is a request for information: asked by a member, assigned to a
// partner, answered by linking reports, accepted or reopened by the asker.
type RFI struct {
	item.Item
	Question string      `json:"question"`
	Assignee string      `json:"assignee"`
	Deadline time.Time   `json:"deadline"`
	Status   string      `json:"status"`
	Overdue  bool        `json:"overdue"`
	Answers  []RFIAnswer `json:"answers"`
}

// RFIAnswerInput links reports (item IDs in the same room) as answers.
type RFIAnswerInput struct {
	Items []string `json:"items"`
}

// AskRFI asks a request for information in a room.
func (s *Service) AskRFI(ctx context.Context, p access.Principal, slug string, in RFIInput) (RFI, error) {
	rm, rv, err := s.memberRoom(ctx, p, slug)
	if err != nil {
		return RFI{}, err
	}
	var errs validate.Errors
	in.Question = strings.TrimSpace(in.Question)
	errs.Text("question", in.Question, true, 10_000)
	assignee, ok := rv.PartnerIDs[strings.ToUpper(in.Assignee)]
	if !ok {
		errs.Add("assignee", "%q is not a partner of this room", in.Assignee)
	}
	if in.Deadline.IsZero() {
		errs.Add("deadline", "is required (RFC 3339)")
	}
	m, shown, err := item.Resolve("marking", in.Marking, p.Viewer, rv, rm.DefaultTLP)
	if err := mergeErr(&errs, err); err != nil {
		return RFI{}, err
	}
	if err == nil && !slices.Contains(m.ReleasableTo, assignee) && len(m.ReleasableTo) > 0 {
		errs.Add("marking.releasable_to", "the assigned partner must be able to read the request")
	}
	if err := errs.Err(); err != nil {
		return RFI{}, err
	}
	title := shorten(in.Question, 120)
	rec := &item.Record{ID: store.NewID(), RoomID: rm.ID, Room: rm.Slug, Kind: "rfi", Title: title, Marking: m, Shown: shown,
		Owner: p.PartnerID, Author: p.ID, At: s.at()}
	deadline := in.Deadline.UTC().Truncate(time.Microsecond)
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		r := RFI{Item: item.Item{ID: rec.ID, Room: rm.Slug, Kind: "rfi", Title: title, Marking: shown, Owner: rv.PartnerCodes[p.PartnerID],
			CreatedBy: p.Username, CreatedAt: rec.At, UpdatedAt: rec.At, Version: 1},
			Question: in.Question, Assignee: strings.ToUpper(in.Assignee), Deadline: deadline, Status: RFIOpen, Overdue: deadline.Before(rec.At), Answers: []RFIAnswer{}}
		if err := item.Insert(ctx, tx, s.bus, rec, audit.By(p), r); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO rfis (item_id, question, assigned_partner_id, deadline, status) VALUES (?, ?, ?, ?, ?)`,
			rec.ID, in.Question, assignee, store.Micros(deadline), RFIOpen); err != nil {
			return err
		}
		return addHistory(ctx, tx, rec.ID, p, rec.At, "asked", "", RFIOpen, "")
	})
	if err != nil {
		return RFI{}, err
	}
	return s.RFI(ctx, p, rec.ID)
}

const rfiColumns = item.Columns + `, f.question, ap.code, f.deadline, f.status`
const rfiFrom = ` FROM {items i} JOIN rfis f ON f.item_id = i.id JOIN partners ap ON ap.id = f.assigned_partner_id` + item.Joins

func (s *Service) scanRFI(sc interface{ Scan(...any) error }) (RFI, error) {
	var r RFI
	var deadline int64
	if err := item.Scan(sc, &r.Item, &r.Question, &r.Assignee, &deadline, &r.Status); err != nil {
		return r, err
	}
	r.Deadline = store.Time(deadline)
	r.Overdue = (r.Status == RFIOpen || r.Status == RFIReopened) && s.now().After(r.Deadline)
	return r, nil
}

func (s *Service) readRFI(ctx context.Context, q querier, p access.Principal, id string) (RFI, error) {
	r, err := s.scanRFI(item.For(p.Viewer).QueryRow(ctx, q, `SELECT `+rfiColumns+rfiFrom+` WHERE i.id = ? AND {visible i}`, id))
	if err != nil {
		return r, err
	}
	rows, err := item.For(p.Viewer).Query(ctx, q, `SELECT ri.id, ri.kind, ri.title, m.username, a.at FROM rfi_answers a JOIN {items ri} ON ri.id = a.report_id JOIN members m ON m.id = a.member_id
		WHERE a.rfi_id = ? AND {visible ri} ORDER BY a.at, ri.id`, id)
	if err != nil {
		return r, err
	}
	defer rows.Close()
	r.Answers = []RFIAnswer{}
	for rows.Next() {
		var a RFIAnswer
		var at int64
		if err := rows.Scan(&a.Item, &a.Kind, &a.Title, &a.By, &at); err != nil {
			return r, err
		}
		a.At = store.Time(at)
		r.Answers = append(r.Answers, a)
	}
	return r, rows.Err()
}

// RFI returns one request for information p may see.
func (s *Service) RFI(ctx context.Context, p access.Principal, id string) (RFI, error) {
	r, err := s.readRFI(ctx, s.db, p, id)
	if err != nil {
		return r, item.NotFound(ctx, s.db, p, id, err)
	}
	return r, nil
}

// RFIs lists a room's requests for information p may see, newest first;
// status narrows to one status.
func (s *Service) RFIs(ctx context.Context, p access.Principal, slug, status, after string, limit int) ([]RFI, error) {
	rm, err := s.rooms.Room(ctx, p, slug)
	if err != nil {
		return nil, err
	}
	q := `SELECT ` + rfiColumns + rfiFrom + ` WHERE i.room_id = ? AND {visible i}`
	args := []any{rm.ID}
	if status != "" {
		q += ` AND f.status = ?`
		args = append(args, status)
	}
	if after != "" {
		q += ` AND i.id < ?`
		args = append(args, after)
	}
	rows, err := item.For(p.Viewer).Query(ctx, s.db, q+` ORDER BY i.id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []RFI{}
	for rows.Next() {
		r, err := s.scanRFI(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// RFI workflow actions.
const (
	RFIActAnswer = "answer"
	RFIActAccept = "accept"
	RFIActReopen = "reopen"
)

// AnswerRFI links reports as the answer (members of the assigned
// partner). Every linked item must be one the answerer may see, in the
// same room; the asker sees those it may see.
func (s *Service) AnswerRFI(ctx context.Context, p access.Principal, id string, in RFIAnswerInput) (RFI, error) {
	var errs validate.Errors
	if len(in.Items) == 0 || len(in.Items) > 100 {
		errs.Add("items", "link 1 to 100 items")
	}
	if err := errs.Err(); err != nil {
		return RFI{}, err
	}
	return s.rfiStep(ctx, p, id, RFIActAnswer, "", func(tx *store.Tx, rec record, r RFI, assignee string) (string, error) {
		if p.PartnerID != assignee {
			return "", access.ErrForbidden
		}
		if r.Status == RFIAccepted {
			return "", validate.Field("status", "the request is accepted already")
		}
		for i, it := range in.Items {
			var roomID string
			err := store.Scan(item.For(p.Viewer).QueryRow(ctx, tx, `SELECT i.room_id FROM {items i} WHERE i.id = ? AND {visible i}`, it), &roomID)
			if errors.Is(err, store.ErrNotFound) || (err == nil && roomID != rec.RoomID) || it == id {
				errs.Add(fmt.Sprintf("items[%d]", i), "is not an item of this room")
				continue
			} else if err != nil {
				return "", err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO rfi_answers (rfi_id, report_id, member_id, at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
				id, it, p.ID, store.Micros(s.at())); err != nil {
				return "", err
			}
		}
		return RFIAnswered, errs.Err()
	})
}

// AcceptRFI accepts the answer (the asker).
func (s *Service) AcceptRFI(ctx context.Context, p access.Principal, id string) (RFI, error) {
	return s.rfiStep(ctx, p, id, RFIActAccept, "", func(_ *store.Tx, rec record, r RFI, _ string) (string, error) {
		if p.ID != rec.Author {
			return "", access.ErrForbidden
		}
		if r.Status != RFIAnswered {
			return "", validate.Field("status", "only an answered request can be accepted; this one is %s", r.Status)
		}
		return RFIAccepted, nil
	})
}

// ReopenRFI reopens an answered or accepted request with a reason (the
// asker).
func (s *Service) ReopenRFI(ctx context.Context, p access.Principal, id string, in Action) (RFI, error) {
	in.Reason = strings.TrimSpace(in.Reason)
	var errs validate.Errors
	errs.Text("reason", in.Reason, true, 4000)
	if err := errs.Err(); err != nil {
		return RFI{}, err
	}
	return s.rfiStep(ctx, p, id, RFIActReopen, in.Reason, func(_ *store.Tx, rec record, r RFI, _ string) (string, error) {
		if p.ID != rec.Author {
			return "", access.ErrForbidden
		}
		if r.Status != RFIAnswered && r.Status != RFIAccepted {
			return "", validate.Field("status", "only an answered or accepted request can be reopened; this one is %s", r.Status)
		}
		return RFIReopened, nil
	})
}

// rfiStep runs one step of a request's workflow: step checks who may take
// it and returns the new status; the history, the status and the live
// change follow.
func (s *Service) rfiStep(ctx context.Context, p access.Principal, id, action, reason string, step func(*store.Tx, record, RFI, string) (string, error)) (RFI, error) {
	var result RFI
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		rec, err := load(ctx, tx, p, id, "rfi")
		if err != nil {
			return err
		}
		r, err := s.readRFI(ctx, tx, p, id)
		if err != nil {
			return err
		}
		var assignee string
		if err := store.Scan(tx.QueryRow(ctx, `SELECT assigned_partner_id FROM rfis WHERE item_id = ?`, id), &assignee); err != nil {
			return err
		}
		to, err := step(tx, rec, r, assignee)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE rfis SET status = ? WHERE item_id = ?`, to, id); err != nil {
			return err
		}
		if err := addHistory(ctx, tx, id, p, s.at(), action, r.Status, to, reason); err != nil {
			return err
		}
		if result, err = s.readRFI(ctx, tx, p, id); err != nil {
			return err
		}
		// The published view lists no answers: each reader may see
		// different ones, and fetches the request again.
		pub := result
		pub.Answers = nil
		_, err = item.Touch(ctx, tx, s.bus, rec.RoomID, "rfi", id, action, rec.Marking, audit.By(p), map[string]any{"from": r.Status, "to": to}, pub)
		return err
	})
	if err != nil {
		return RFI{}, item.NotFound(ctx, s.db, p, id, err)
	}
	return result, nil
}
