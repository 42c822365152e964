package tak

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/opsroom/opsroom/internal/cot"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/live"
	"github.com/opsroom/opsroom/internal/picture"
	"github.com/opsroom/opsroom/internal/store"
)

// A CoT uid names one thing on every map of the room: a device's track,
// a marker it placed, an item made in opsroom (opsroom-<item id>). An
// event is checked against its uid's owner before it is relayed, stored
// or answered, so that a device cannot move, redraw or replace another
// partner's track, site or item on anyone's map.

// itemUIDPrefix starts the uid of an item made in opsroom (itemEvent).
const itemUIDPrefix = "opsroom-"

// claimState is how an owner of a uid is known.
type claimState uint8

const (
	stored  claimState = iota // the database says so
	pending                   // an event waiting to be stored claimed it first
	relayed                   // an event relayed and never stored claimed it, until its stale time
)

// kindNobody marks an opsroom-<id> uid that names no item of the room:
// nobody may use it.
const kindNobody = "-"

// uidOwner is who a uid of a room belongs to.
type uidOwner struct {
	kind    string // "track", a device's "marker", "shape", "chat", an opsroom item's kind; "" for a relayed claim
	itemID  string // "" until stored
	seq     int64  // tracks: the key of their positions
	partner string // the owner partner's ID
	member  string // the member who first used it (for a track: its device's member)
	state   claimState
	until   time.Time // relayed claims only
}

type uidKey struct{ roomID, uid string }

// maxOwners bounds the cache. Past it, every entry but the pending claims
// is dropped; stored owners are read again from the database on use, and
// relayed claims (never stored) are forgotten early.
const maxOwners = 1 << 18

// owners caches uid owners for the fan-out's hot path: a device sends its
// position every few seconds under the same uid, and the check must not
// cost a database read each time.
//
// An entry is dropped (and read again) whenever the database's answer may
// have changed: a track's, marker's, shape's or chat item's change on the
// bus (Server.observe: a track renamed to another uid, an item stored
// under a uid by the web API or another instance); and a claim is
// replaced by the database's answer once its event is stored or refused.
// Items never change owner and are never deleted, so no other change
// makes an entry wrong.
type owners struct {
	mu     sync.RWMutex
	m      map[uidKey]uidOwner
	byItem map[string]uidKey // stored entries, by item ID
}

func newOwners() *owners {
	return &owners{m: map[uidKey]uidOwner{}, byItem: map[string]uidKey{}}
}

// get returns the cached owner of k, if any (an expired relayed claim is
// none).
func (o *owners) get(k uidKey) (uidOwner, bool) {
	o.mu.RLock()
	e, ok := o.m[k]
	o.mu.RUnlock()
	if ok && e.state == relayed && !time.Now().Before(e.until) {
		return uidOwner{}, false
	}
	return e, ok
}

// setLocked stores e under k; o.mu is held.
func (o *owners) setLocked(k uidKey, e uidOwner) {
	if len(o.m) >= maxOwners {
		for kk, ee := range o.m {
			if ee.state != pending {
				delete(o.m, kk)
			}
		}
		clear(o.byItem)
	}
	if old, ok := o.m[k]; ok && old.itemID != "" {
		delete(o.byItem, old.itemID)
	}
	o.m[k] = e
	if e.itemID != "" {
		o.byItem[e.itemID] = k
	}
}

// put records what the database says.
func (o *owners) put(k uidKey, e uidOwner) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.setLocked(k, e)
}

// claim records e for k unless another owner holds k; it returns the
// owner that holds k now.
func (o *owners) claim(k uidKey, e uidOwner) uidOwner {
	o.mu.Lock()
	defer o.mu.Unlock()
	if old, ok := o.m[k]; ok && (old.state != relayed || time.Now().Before(old.until)) {
		return old
	}
	o.setLocked(k, e)
	return e
}

// release drops a claim that partner made for k, when its event could not
// be stored.
func (o *owners) release(k uidKey, partner string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if e, ok := o.m[k]; ok && e.state == pending && e.partner == partner {
		delete(o.m, k)
	}
}

// forget drops what is known of an item and of uids in a room.
func (o *owners) forget(roomID, itemID string, uids ...string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if k, ok := o.byItem[itemID]; ok {
		delete(o.m, k)
		delete(o.byItem, itemID)
	}
	for _, uid := range uids {
		if uid == "" {
			continue
		}
		k := uidKey{roomID, uid}
		if e, ok := o.m[k]; ok {
			delete(o.m, k)
			if e.itemID != "" {
				delete(o.byItem, e.itemID)
			}
		}
	}
}

// observe is called by the bus with every change, whoever may see it: a
// change to a track, or to an item a device made, may move a uid to
// another item (a track given a new uid through the API) or store one
// that was only claimed, so what is cached of them is forgotten.
func (s *Server) observe(ch live.Change) {
	if ch.ItemID == "" {
		return // a batch of positions: no uid changes hands
	}
	switch ch.Kind {
	case "track", "marker", "shape", "chat":
	default:
		return // other items never change owner or uid
	}
	var d struct {
		UID  string `json:"uid"`
		Body struct {
			UID string `json:"uid"`
		} `json:"body"`
	}
	_ = json.Unmarshal(ch.Data, &d)
	s.owners.forget(ch.RoomID, ch.ItemID, d.UID, d.Body.UID)
}

// ownerOf returns the owner of a uid in a room: cached, or read from the
// database (and cached). ok is false when nobody holds it.
func (s *Server) ownerOf(ctx context.Context, roomID, uid string) (uidOwner, bool, error) {
	k := uidKey{roomID, uid}
	if e, ok := s.owners.get(k); ok {
		return e, true, nil
	}
	e, ok, err := s.loadOwner(ctx, roomID, uid)
	if err != nil || !ok {
		return e, ok, err
	}
	s.owners.put(k, e)
	return e, true, nil
}

// loadOwner reads who holds a uid: the item opsroom-<id> names (nobody,
// if it names no item of the room), a track with that uid, or the item a
// device's event with that uid became.
func (s *Server) loadOwner(ctx context.Context, roomID, uid string) (uidOwner, bool, error) {
	if id, ok := strings.CutPrefix(uid, itemUIDPrefix); ok {
		own, err := item.LoadOwnership(ctx, s.db, id)
		switch {
		case errors.Is(err, store.ErrNotFound) || err == nil && own.RoomID != roomID:
			return uidOwner{kind: kindNobody}, true, nil
		case err != nil:
			return uidOwner{}, false, err
		}
		return uidOwner{kind: own.Kind, itemID: id, partner: own.PartnerID, member: own.AuthorID}, true, nil
	}
	tr, err := picture.TrackByUID(ctx, s.db, roomID, uid)
	if err == nil {
		return uidOwner{kind: "track", itemID: tr.ItemID, seq: tr.Seq, partner: tr.PartnerID, member: tr.AuthorID}, true, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return uidOwner{}, false, err
	}
	id, err := takItem(ctx, s.db, roomID, uid)
	if errors.Is(err, store.ErrNotFound) {
		return uidOwner{}, false, nil
	}
	if err != nil {
		return uidOwner{}, false, err
	}
	own, err := item.LoadOwnership(ctx, s.db, id)
	if err != nil {
		return uidOwner{}, false, err
	}
	return uidOwner{kind: own.Kind, itemID: id, partner: own.PartnerID, member: own.AuthorID}, true, nil
}

// takItem returns the item a device's event with uid became (tak_uids,
// this package's table), or store.ErrNotFound.
func takItem(ctx context.Context, q store.Reader, roomID, uid string) (string, error) {
	ids, err := store.Strings(ctx, q, `SELECT item_id FROM tak_uids WHERE room_id = ? AND uid = ?`, roomID, uid)
	if err != nil {
		return "", err
	}
	if len(ids) == 0 {
		return "", store.ErrNotFound
	}
	return ids[0], nil
}

// maxRelayClaim bounds how long a relayed event's claim on its uid lasts.
const maxRelayClaim = 24 * time.Hour

// checkOwner decides whether c's member may send ev under its uid, before
// anything is done with it. A uid nobody holds is claimed for c's partner:
// until the event is stored (stores), or until its stale time for an event
// only relayed. It returns why the event is refused, or ok.
func (s *Server) checkOwner(ctx context.Context, c *conn, ev *cot.Event, cat category, stores bool) refusal {
	e, ok, err := s.ownerOf(ctx, c.roomID, ev.UID)
	if err != nil {
		s.log.Error("tak: reading a uid's owner; event refused", "uid", ev.UID, "err", err)
		return refusedError
	}
	if !ok {
		claim := uidOwner{partner: c.principal.PartnerID, member: c.principal.ID, state: pending}
		if cat == catPosition {
			claim.kind = "track"
		}
		if !stores {
			claim.state = relayed
			claim.until = ev.Stale
			if limit := time.Now().Add(maxRelayClaim); claim.until.After(limit) {
				claim.until = limit
			}
		}
		e = s.owners.claim(uidKey{c.roomID, ev.UID}, claim)
	}
	if e.partner == c.principal.PartnerID && e.kind != kindNobody {
		return refusalNone
	}
	switch {
	case e.kind == kindNobody:
		return refusedUnknownItem
	case e.kind == "track":
		return refusedTrack
	case e.kind == "site":
		return refusedSite
	case e.kind == "":
		return refusedUID
	default:
		return refusedItem
	}
}

// addressees is whom an event with <marti><dest> is for: members, never
// the callsign a device reports. A dest callsign names the member with
// that username; a dest uid names the member whose device's track has that
// uid.
type addressees struct {
	usernames []string
	members   []string
}

func (s *Server) resolveDest(ctx context.Context, roomID string, dest []cot.Dest) *addressees {
	a := &addressees{}
	for _, d := range dest {
		if d.Callsign != "" {
			a.usernames = append(a.usernames, d.Callsign)
		}
		if d.UID != "" {
			if e, ok, err := s.ownerOf(ctx, roomID, d.UID); err == nil && ok && e.kind == "track" && e.member != "" {
				a.members = append(a.members, e.member)
			}
		}
	}
	return a
}

// includes reports whether c's member is one of the addressees.
func (a *addressees) includes(c *conn) bool {
	for _, m := range a.members {
		if m == c.principal.ID {
			return true
		}
	}
	for _, u := range a.usernames {
		if strings.EqualFold(u, c.principal.Username) {
			return true
		}
	}
	return false
}
